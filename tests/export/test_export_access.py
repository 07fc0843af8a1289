"""Issue 24 item 7 for the export: who may export whose data, the audit row each export leaves,
the rate limit, and the transaction protocol kept while the body streams after the commit."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.extensions import db
from server.pagination import keyset_pages
from server.tracking.models import PainRating
from tests.foundation.protocol import recording
from tests.security.victims import World, build_world


@pytest.fixture
def world(request: pytest.FixtureRequest, app: Flask) -> World:
    return build_world(request, app)


def export_path(world: World) -> str:
    return f"/api/v1/patients/{world.victim.id}/export"


def test_only_the_patient_and_their_clinics_staff_export_the_patients_data(
    client: FlaskClient, world: World
) -> None:
    for form in ("json", "fhir"):
        query = {"format": form}
        for staff in (world.therapist_a, world.admin_a):
            answer = client.get(export_path(world), query_string=query, headers=staff.headers)
            assert answer.status_code == 200
            assert world.victim.email in answer.get_data(as_text=True)
        for outsider in (world.therapist_b, world.admin_b):
            answer = client.get(export_path(world), query_string=query, headers=outsider.headers)
            assert answer.status_code == 404
            assert world.victim.email not in answer.get_data(as_text=True)
        for patient in (world.neighbour, world.victim):
            answer = client.get(export_path(world), query_string=query, headers=patient.headers)
            assert answer.status_code == 403
        own = client.get("/api/v1/me/export", query_string=query, headers=world.neighbour.headers)
        assert own.status_code == 200
        text = own.get_data(as_text=True)
        assert world.neighbour.email in text
        assert not [marker for marker in world.markers if marker in text]
        assert client.get("/api/v1/me/export", headers=world.therapist_a.headers).status_code == 403
        assert client.get("/api/v1/me/export").status_code == 401


def test_each_export_leaves_one_audit_row_with_its_format(
    app: Flask, client: FlaskClient, world: World
) -> None:
    client.get(
        export_path(world), query_string={"format": "fhir"}, headers=world.therapist_a.headers
    )
    client.get("/api/v1/me/export", headers=world.victim.headers)
    client.get(export_path(world), headers=world.therapist_b.headers)  # refused: no row
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.actor_role, AuditEvent.object_id)
            .where(AuditEvent.action == "patient.exported")
            .where(AuditEvent.patient_id == world.victim.id)
            .order_by(AuditEvent.at)
        ).all()
    assert [tuple(r) for r in rows] == [
        (world.therapist_a.id, "therapist", "fhir"),
        (world.victim.id, "patient", "json"),
    ]


def test_an_unknown_format_is_a_field_error(client: FlaskClient, world: World) -> None:
    answer = client.get(
        "/api/v1/me/export", query_string={"format": "xml"}, headers=world.victim.headers
    )
    assert answer.status_code == 422
    assert answer.json["errors"]["format"] == ["Must be one of: json, fhir."]


def test_exports_are_rate_limited_per_user(app: Flask, client: FlaskClient, world: World) -> None:
    app.config["EXPORT_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        assert client.get("/api/v1/me/export", headers=world.victim.headers).status_code == 200
    refused = client.get("/api/v1/me/export", headers=world.victim.headers)
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert "Retry-After" in refused.headers
    assert refused.json["detail"] == "Too many exports. Wait a little and try again."
    in_turkish = client.get(
        "/api/v1/me/export", headers={**world.victim.headers, "Accept-Language": "tr"}
    )
    assert in_turkish.json["detail"] == "Çok fazla dışa aktarma. Biraz bekleyip yeniden deneyin."
    # Another user has a bucket of their own.
    assert client.get(export_path(world), headers=world.therapist_a.headers).status_code == 200


@pytest.mark.parametrize("form", ["json", "fhir"])
def test_the_streamed_body_keeps_the_transaction_protocol(
    app: Flask, client: FlaskClient, world: World, backend: str, form: str
) -> None:
    """The audit row is the request's only write, before the body; the body's reads, after
    the commit, are plain reads in the request's read mode (PostgreSQL: outside a transaction)."""
    with recording(app, f"GET export {form}", "GET") as request:
        answer = client.get(
            export_path(world), query_string={"format": form}, headers=world.therapist_a.headers
        )
        body = json.loads(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert body
    assert request.broken_rules(backend) == []
    assert [s.sql.split()[:3] for s in request.writes] == [["INSERT", "INTO", "audit_events"]]
    streamed = request.statements[request.statements.index(request.writes[0]) + 1 :]
    assert len(streamed) > 5
    assert not any(s.write for s in streamed)
    if backend == "postgresql":
        assert all(s.mode == "read" and s.commits_alone for s in streamed)


def test_long_sections_are_read_a_page_at_a_time(app: Flask, world: World) -> None:
    with app.app_context():
        statement = sa.select(PainRating).where(PainRating.patient_id == world.victim.id)
        everything = db.session.scalars(statement.order_by(PainRating.recorded_at)).all()
        paged = list(keyset_pages(statement, keys=[PainRating.recorded_at, PainRating.id], size=1))
    assert [r.id for r in paged] == [r.id for r in everything]
    assert everything
