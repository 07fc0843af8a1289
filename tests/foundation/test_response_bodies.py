"""Response bodies written by orjson read as Flask's own JSON wrote them (``server/http.py``)."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask

from server.http import DepthSafeJSONProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.json = DepthSafeJSONProvider(app)
    return app


def _flask_json(app: Flask, value: object) -> str:
    """What Flask's default provider writes for ``value`` (the body before this change)."""
    return json.dumps(
        value, default=app.json.default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


VALUES = [
    {"z": 1, "a": [1, 2.5, None, True], "m": {"b": "ş", "a": "Ağrı"}},
    {"when": datetime(2026, 12, 7, 9, 30, tzinfo=UTC), "day": date(2026, 12, 7)},
    {"id": uuid.UUID(int=7), "amount": decimal.Decimal("1.50")},
    {"point": Point(3, "boyun")},
    [{"b": 2, "a": 1}, "çay", 0.1, -3],
]


@pytest.mark.parametrize("value", VALUES)
def test_a_body_has_flask_s_text_and_order(app: Flask, value: object) -> None:
    with app.app_context():
        response = app.json.response(value)
    assert response.mimetype == "application/json"
    # Same keys in the same order, same values: only non-ASCII letters are written as UTF-8
    # instead of \u escapes, which any JSON reader takes alike.
    assert response.get_data(as_text=True) == _flask_json(app, value) + "\n"


def test_what_orjson_refuses_is_written_by_flask_s_json(app: Flask) -> None:
    for value in ({"big": 2**70}, {3: "three", 1: "one"}):
        with app.app_context():
            response = app.json.response(value)
        assert response.get_data(as_text=True) == _flask_json(app, value) + "\n"


def test_an_unwritable_value_is_still_refused(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError):
        app.json.response({"items": {1, 2}, "at": time(8, 15)})


def test_debug_bodies_stay_indented(app: Flask) -> None:
    app.debug = True
    with app.app_context():
        body = app.json.response({"b": 1, "a": 2}).get_data(as_text=True)
    assert body == '{\n  "a": 2,\n  "b": 1\n}\n'
