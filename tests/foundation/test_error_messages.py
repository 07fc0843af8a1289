"""422 bodies keep the contract's ``errors: {field: [messages]}`` however deep the error."""

from __future__ import annotations

import pytest

from server.errors import field_messages, flatten_messages


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ({"score": ["Too big."]}, {"score": ["Too big."]}),
        (
            {"answers": {"thunderclap": ["Not a valid boolean."], "foo": ["Unknown field."]}},
            {"answers": ["thunderclap: Not a valid boolean.", "foo: Unknown field."]},
        ),
        ({"status": {0: ["Must be one of: open."]}}, {"status": ["0: Must be one of: open."]}),
        (
            {"items": {2: {"item_id": ["Not a valid UUID."]}}},
            {"items": ["2.item_id: Not a valid UUID."]},
        ),
        (
            {"quiet_hours": {"_schema": ["End before start."]}},
            {"quiet_hours": ["End before start."]},
        ),
        ({"_schema": ["Invalid input type."]}, {"_schema": ["Invalid input type."]}),
        ({"answers": [{"fever": ["Required."]}]}, {"answers": ["fever: Required."]}),
        ({"minutes": "Must be 10, 20 or 30."}, {"minutes": ["Must be 10, 20 or 30."]}),
        (
            {"items.4f1c": ["Already at the top of its ladder."]},
            {"items.4f1c": ["Already at the top of its ladder."]},
        ),
    ],
)
def test_nested_errors_become_prefixed_messages_of_their_field(errors, expected) -> None:
    assert field_messages(errors) == expected


def test_webargs_locations_are_merged_and_flattened() -> None:
    messages = {"json": {"answers": {"fever": ["Required."]}}, "query": {"limit": ["Too big."]}}
    assert flatten_messages(messages) == {"answers": ["fever: Required."], "limit": ["Too big."]}
    assert flatten_messages(["Invalid JSON."]) == {"_body": ["Invalid JSON."]}
