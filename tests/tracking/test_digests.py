"""A record's digest, written by orjson, is the digest JSON's own: the same hex for any body a
record kind can load, so a replay of a record stored before still matches (no database)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

import marshmallow as ma
from hypothesis import given
from hypothesis import strategies as st

from server.tracking.digests import _canonical, _digest_text, body_digest
from server.tracking.rules import KINDS
from server.tracking.services import INPUTS


def reference_digest(kind: str, body: dict) -> str:
    """The digest as every stored record's was made: canonical values, then the JSON encoder."""
    return hashlib.sha256(
        _digest_text({"kind": kind, "body": _canonical(body)}).encode()
    ).hexdigest()


def leaf_fields(field: ma.fields.Field):
    if isinstance(field, ma.fields.Nested):
        for inner in field.schema.load_fields.values():
            yield from leaf_fields(inner)
    elif isinstance(field, ma.fields.List):
        yield from leaf_fields(field.inner)
    else:
        yield field


def test_record_kinds_load_no_float() -> None:
    """orjson writes some floats otherwise than the JSON encoder (``1e-7``, not ``1e-07``): the
    quick digest is right only while no record body can hold one."""
    assert set(INPUTS) == set(KINDS)
    for kind, schema in INPUTS.items():
        for name, field in schema.load_fields.items():
            for leaf in leaf_fields(field):
                assert not isinstance(leaf, ma.fields.Number | ma.fields.Raw | ma.fields.Dict) or (
                    isinstance(leaf, ma.fields.Integer)
                ), (kind, name, leaf)


instants = st.builds(
    lambda at, minutes: at.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30)),
    st.integers(-14 * 60, 14 * 60),
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits orjson refuses: the encoder writes those
    | st.text()
    | st.uuids()
    | instants
    | st.dates()
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
bodies = st.dictionaries(st.text(min_size=1), values, max_size=8)


@given(st.sampled_from(KINDS), bodies)
def test_a_record_digest_is_the_reference_digest(kind: str, body: dict) -> None:
    assert body_digest(kind, body) == reference_digest(kind, body)


def test_nulls_are_dropped_at_any_depth_but_kept_in_lists() -> None:
    at = datetime(2026, 12, 6, 7, 30, tzinfo=timezone(timedelta(hours=3)))
    rid = uuid.uuid4()
    body = {"id": rid, "recorded_at": at, "items": [{"a": None, "b": 1}, None], "notes": None}
    bare = {"id": rid, "recorded_at": at.astimezone(UTC), "items": [{"b": 1}, None]}
    assert body_digest("session_log", body) == body_digest("session_log", bare)
    assert body_digest("session_log", body) == reference_digest("session_log", body)
