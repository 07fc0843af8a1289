"""Issue 24 item 2: the JSON export holds every section of what is kept about the patient, in
order and versioned, and never a push token or a password hash."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import User
from server.export.sections import FORMAT_VERSION, SECTIONS
from server.extensions import db
from server.flags.models import Flag
from server.programmes.models import ProgrammeRevision
from server.tracking.store import MODELS
from tests.export.conftest import AYSE, PUSH_TOKEN, Demo


def test_ayses_json_export_holds_every_section_and_no_secret(
    app: Flask, client: FlaskClient, demo: Demo
) -> None:
    answer = client.get("/api/v1/me/export", headers=demo.ayse.headers)
    assert answer.status_code == 200
    assert answer.content_type == "application/json"
    assert answer.is_streamed
    text = answer.get_data(as_text=True)
    document = json.loads(text)

    assert list(document) == [
        "format_version",
        "exported_at",
        "patient_id",
        *(name for name, _ in SECTIONS),
    ]
    assert document["format_version"] == FORMAT_VERSION
    assert document["patient_id"] == str(demo.ayse.id)
    assert document["profile"]["email"] == AYSE
    assert document["preferences"]["timezone"] == "Europe/Istanbul"

    with app.app_context():
        password_hash = db.session.scalar(sa.select(User.password_hash).where(User.email == AYSE))
        records = {
            kind: {
                str(i)
                for i in db.session.scalars(sa.select(m.id).where(m.patient_id == demo.ayse.id))
            }
            for kind, m in MODELS.items()
        }
        revisions = db.session.scalar(
            sa.select(sa.func.count()).where(ProgrammeRevision.patient_id == demo.ayse.id)
        )
        flags = db.session.scalar(sa.select(sa.func.count()).where(Flag.patient_id == demo.ayse.id))
    assert PUSH_TOKEN not in text
    assert password_hash not in text
    assert "password_hash" not in text
    assert '"token"' not in text
    (device,) = document["devices"]
    assert device["platform"] == "android"

    exported: dict[str, set[str]] = {}
    for record in document["records"]:
        exported.setdefault(record["kind"], set()).add(record["id"])
    assert exported == {kind: ids for kind, ids in records.items() if ids}
    assert sum(len(p["revisions"]) for p in document["programmes"]) == revisions == 2
    assert len(document["flags"]) == flags
    assert all("evidence" in f and "status" in f for f in document["flags"])
    # The demo's two NDI responses and the GROC answered here.
    codes = sorted(response["measure_code"] for response in document["measure_responses"])
    assert codes == ["GROC", "NDI", "NDI"]
    assert {c["version"] for c in document["consents"]} == {1}
    trail = document["audit_trail"]
    assert {"at", "actor_id", "actor_role", "action"} <= set(trail[0])
    # The export itself is in the trail (its row is written before the body streams).
    assert any(
        e["action"] == "patient.exported" and e["actor_id"] == str(demo.ayse.id) for e in trail
    )
    assert uuid.UUID(document["profile"]["id"]) == demo.ayse.id
