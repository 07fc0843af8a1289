"""Fixtures of the programmes tests: the seeded library and small API helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.programmes.seed import load_library

TEMPLATE = "cervicogenic-headache-basic"


@pytest.fixture
def library(app: Flask, seed_dir: Any) -> dict[str, int]:
    """The seeded exercise library and templates (committed)."""
    with app.app_context():
        counts = load_library(seed_dir)
        db.session.commit()
    return counts


def today_in(zone: str) -> date:
    """Today's date in ``zone``."""
    return datetime.now(ZoneInfo(zone)).date()


@pytest.fixture
def create_programme(client: FlaskClient, library: dict[str, int]) -> Callable[..., Any]:
    """POST a programme for ``patient`` as ``therapist``; returns the JSON body (asserts 201)."""

    def create(therapist: Any, patient: Any, **body: Any) -> dict[str, Any]:
        body.setdefault("template", TEMPLATE)
        body.setdefault("start_date", today_in("Europe/Istanbul").isoformat())
        response = client.post(
            f"/api/v1/patients/{patient.id}/programmes", json=body, headers=therapist.headers
        )
        assert response.status_code == 201, response.json
        return response.json

    return create
