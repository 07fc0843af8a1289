"""Sync kinds stored by a domain above tracking (``measure_response``: measures), plugged in as
``sync_kinds`` by ``server/wiring.py``: ``{kind: store(actor, data, now) -> result}``.

Tracking stores its own kinds together, set-based; a plugged kind goes one item at a time
through its domain's own service, which keeps that service's idempotency (a replay is a
``duplicate``) and refuses a bad item without touching the good ones (``invalid``, ``conflict``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import current_app

from server.access import Actor

Store = Callable[[Actor | None, Mapping[str, Any], datetime], dict[str, Any]]


def registered() -> Mapping[str, Store]:
    """The plugged sync kinds of this app (none when nothing is plugged in)."""
    return current_app.extensions.get("sync_kinds", {})


def plugged_items(items: Sequence[Any]) -> dict[int, Mapping[str, Any]]:
    """The items (by position) of a plugged kind, with a well-formed envelope."""
    kinds = registered()
    return {
        index: raw
        for index, raw in enumerate(items)
        if (type(raw) is dict or isinstance(raw, Mapping))  # exact type first: 500 items
        and raw.get("kind") in kinds
        and set(raw) == {"kind", "data"}
        and isinstance(raw.get("data"), Mapping)
    }


def store_plugged(
    plugged: Mapping[int, Mapping[str, Any]], actor: Actor | None, now: datetime
) -> dict[int, dict[str, Any]]:
    """Store each plugged item by its kind's service, before tracking's own (whose write may
    be the request's sole autocommit one, which nothing may follow): results by position."""
    kinds = registered()
    return {i: kinds[raw["kind"]](actor, raw["data"], now) for i, raw in plugged.items()}


def merged(
    count: int, plugged: Mapping[int, dict[str, Any]], results: Iterator[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The batch's results in order: the plugged items' and tracking's own (``results``)."""
    return [plugged[i] if i in plugged else next(results) for i in range(count)]
