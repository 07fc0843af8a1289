"""Reading records back: a reinstalled app gets its diary back; staff read a patient's records."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from tests.tracking.conftest import BODIES, PATHS, iso, now_utc, pain_body

PROBLEM = "application/problem+json"


def _post(client, patient, kind, body=None):
    body = body or BODIES[kind]()
    response = client.post(PATHS[kind], json=body, headers=patient.headers)
    assert response.status_code == 201, response.json
    return response.json


def _all_pages(client, path, headers, **query):
    """Every item of a paginated list, following next_cursor; also the cursors seen."""
    items, cursors, cursor = [], [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items, cursors
        cursors.append(cursor)


@pytest.mark.parametrize("kind", list(BODIES))
def test_my_records_come_back_exactly_as_created(client, patient, kind) -> None:
    created = _post(client, patient, kind)

    response = client.get(PATHS[kind], headers=patient.headers)

    assert response.status_code == 200
    assert response.json == {"items": [created], "next_cursor": None}


def test_my_list_pages_newest_first_with_an_opaque_cursor(client, make_patient) -> None:
    patient = make_patient(timezone="UTC", name="Zeynep Cursorova", email="zeynep@mail.example")
    base = now_utc() - timedelta(hours=3)
    created = [
        _post(
            client, patient, "pain_rating", pain_body(recorded_at=iso(base + timedelta(minutes=i)))
        )
        for i in range(5)
    ]

    items, cursors = _all_pages(client, PATHS["pain_rating"], patient.headers, limit=2)

    assert items == list(reversed(created))
    assert len(cursors) == 2
    for cursor in cursors:  # sealed: not even the dates and ids in it can be read
        assert "zeynep" not in cursor.lower()
        with pytest.raises((UnicodeDecodeError, json.JSONDecodeError)):  # not JSON, not text
            json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def test_from_and_to_bound_the_local_dates(client, patient) -> None:
    today = now_utc()
    old = _post(
        client, patient, "pain_rating", pain_body(recorded_at=iso(today - timedelta(days=3)))
    )
    new = _post(
        client, patient, "pain_rating", pain_body(recorded_at=iso(today - timedelta(minutes=5)))
    )
    day_of_old = old["local_date"]

    only_old = client.get(
        PATHS["pain_rating"],
        query_string={"from": day_of_old, "to": day_of_old},
        headers=patient.headers,
    )
    from_yesterday = client.get(
        PATHS["pain_rating"],
        query_string={"from": (today - timedelta(days=1)).date().isoformat()},
        headers=patient.headers,
    )

    assert only_old.json["items"] == [old]
    assert from_yesterday.json["items"] == [new]


def test_from_after_to_is_422(client, patient) -> None:
    response = client.get(
        PATHS["pain_rating"],
        query_string={"from": "2026-06-02", "to": "2026-06-01"},
        headers=patient.headers,
    )

    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert "from" in response.json["errors"]


def test_a_forged_cursor_is_422(client, patient) -> None:
    response = client.get(
        PATHS["pain_rating"], query_string={"cursor": "bm90LWEtY3Vyc29y"}, headers=patient.headers
    )

    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_my_lists_hold_only_my_own_records(client, make_patient) -> None:
    me, other = make_patient(timezone="UTC"), make_patient(timezone="UTC")
    mine = _post(client, me, "pain_rating")
    _post(client, other, "pain_rating")

    response = client.get(PATHS["pain_rating"], headers=me.headers)

    assert response.json["items"] == [mine]


def test_staff_read_every_kind_tagged_and_each_read_is_audited(
    client, app, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist, timezone="UTC")
    created = {kind: _post(client, patient, kind) for kind in BODIES}
    path = f"/api/v1/patients/{patient.id}/records"

    items, _ = _all_pages(client, path, therapist.headers, limit=2)
    only_pain = client.get(path, query_string={"kind": "pain_rating"}, headers=therapist.headers)

    assert sorted(item["kind"] for item in items) == sorted(BODIES)
    assert {item["kind"]: item["data"] for item in items} == created
    assert only_pain.json["items"] == [{"kind": "pain_rating", "data": created["pain_rating"]}]
    with app.app_context():
        reads = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "records.read")
        ).all()
        assert len(reads) == 4  # three pages, then the pain ratings
        assert {(e.patient_id, e.actor_id, e.actor_role) for e in reads} == {
            (patient.id, therapist.id, "therapist")
        }


def test_a_patients_own_reads_are_audited_too(client, app, patient) -> None:
    client.get(PATHS["headache_entry"], headers=patient.headers)

    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent)).all()
        assert [(e.action, e.patient_id, e.actor_role) for e in events] == [
            ("records.read", patient.id, "patient")
        ]


def test_staff_of_another_clinic_get_404_and_an_unknown_kind_is_422(
    client, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist, timezone="UTC")
    _post(client, patient, "pain_rating")
    path = f"/api/v1/patients/{patient.id}/records"

    stranger = client.get(path, headers=make_staff().headers)
    unknown_kind = client.get(path, query_string={"kind": "diary"}, headers=therapist.headers)

    assert stranger.status_code == 404
    assert unknown_kind.status_code == 422
    assert "kind" in unknown_kind.json["errors"]


def test_symptom_checks_come_back_with_their_guidance(client, patient) -> None:
    created = _post(client, patient, "symptom_check", BODIES["symptom_check"](thunderclap=True))

    listed = client.get(PATHS["symptom_check"], headers=patient.headers).json["items"]

    assert listed == [created]
    assert listed[0]["urgent"] is True
    assert "112" in listed[0]["guidance"]
