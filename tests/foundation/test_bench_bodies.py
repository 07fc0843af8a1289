"""The load generator's sync bodies: drawn batches reused, every id fresh and a valid UUIDv4."""

from __future__ import annotations

import json
import uuid

from bench.load import build_body


def _items(body: bytes) -> list[dict]:
    return json.loads(body)["items"]


def test_each_sync_body_has_fresh_version_4_ids() -> None:
    bodies = [_items(build_body("sync", {"items": 500})) for _ in range(20)]
    ids = [item["data"]["id"] for items in bodies for item in items]
    assert len(ids) == len(set(ids)) == 20 * 500
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {4}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert all(str(u) == i for u, i in zip(parsed, ids, strict=True))


def test_a_sync_body_keeps_the_drawn_batch_but_its_ids() -> None:
    items = _items(build_body("bulk_insert", {"items": 50}))
    assert len(items) == 50
    kinds = {item["kind"] for item in items}
    assert kinds == {"pain_rating", "posture_break", "headache_entry"}
    for item in items:
        assert set(item) == {"kind", "data"}
        assert "recorded_at" in item["data"]
