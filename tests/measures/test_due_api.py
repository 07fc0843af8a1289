"""Due administrations: the patient's inbox (``GET /me/measures/due``) and the plan list the
questionnaires open today, in the patient's language; answering one closes it; after its window
it is missed and no longer listed."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from tests.measures.conftest import NDI_24, ndi_answers, response_body

DUE = "/api/v1/me/measures/due"


def _schedule(client, therapist, programme, **body):
    path = f"/api/v1/programmes/{programme.id}/measures"
    created = client.post(path, json={"measure": "NDI", **body}, headers=therapist.headers)
    assert created.status_code == 201, created.json
    return created.json


def test_an_open_administration_is_listed_in_the_patients_language_until_answered(
    app, client, therapist, make_patient, make_programme, measure_library, respond
) -> None:
    patient = make_patient(therapist, language="tr")
    programme = make_programme(patient, start_date=date.today() - timedelta(days=30))
    schedule = _schedule(client, therapist, programme, at_start=True, every_weeks=4)
    # The start's window closed 23 days ago (missed); day 28 fell due two days ago.
    periodic = schedule["administrations"][1]
    assert periodic["due"] == (date.today() - timedelta(days=2)).isoformat()

    due = client.get(DUE, headers=patient.headers)
    assert due.status_code == 200, due.json
    assert due.json["items"] == [
        {
            "administration_id": periodic["id"],
            "measure": "NDI",
            "name": "Boyun Disabilite İndeksi",
            "occasion": "periodic",
            "due": periodic["due"],
            "closes": periodic["closes"],
            "programme_id": str(programme.id),
        }
    ]
    plan = client.get("/api/v1/me/plan", headers=patient.headers)
    assert plan.json["measures"] == due.json["items"]
    past = client.get(
        "/api/v1/me/plan",
        query_string={"date": schedule["administrations"][0]["due"]},
        headers=patient.headers,
    )
    assert [m["occasion"] for m in past.json["measures"]] == ["start"]

    answered = respond(
        response_body("NDI", ndi_answers(NDI_24), administration_id=periodic["id"]), who=patient
    )
    assert answered.status_code == 201, answered.json
    assert client.get(DUE, headers=patient.headers).json["items"] == []
    assert client.get("/api/v1/me/plan", headers=patient.headers).json["measures"] == []
    with app.app_context():
        reads = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.patient_id == patient.id, AuditEvent.action == "measure.due_read"
            )
        ).all()
    assert len(reads) == 2


def test_the_window_comes_from_the_schedule_else_the_setting(
    app, client, therapist, patient, programme
) -> None:
    app.config["MEASURE_WINDOW_DAYS"] = 2
    try:
        short = _schedule(client, therapist, programme, every_weeks=4)
    finally:
        app.config["MEASURE_WINDOW_DAYS"] = 7
    assert short["window_days"] == 2
    # Due two days ago, answerable for two days: missed yesterday evening, no longer listed.
    assert client.get(DUE, headers=patient.headers).json["items"] == []
    path = f"/api/v1/programmes/{programme.id}/measures"
    client.delete(f"{path}/{short['id']}", headers=therapist.headers)
    wide = _schedule(client, therapist, programme, every_weeks=4, window_days=10)
    assert wide["window_days"] == 10
    (item,) = client.get(DUE, headers=patient.headers).json["items"]
    assert (item["name"], item["closes"]) == (
        "Neck Disability Index",
        (date.today() + timedelta(days=7)).isoformat(),
    )


def test_no_schedule_no_questionnaires(client, patient, programme) -> None:
    assert client.get(DUE, headers=patient.headers).json == {"items": []}
    assert client.get("/api/v1/me/plan", headers=patient.headers).json["measures"] == []
