"""Scheduling measures on a programme through the API: attach, list, read, remove; the
administrations a schedule makes due, and answering one of them within its window."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from tests.measures.conftest import NDI_24, hit6_answers, ndi_answers, response_body


def _path(programme) -> str:
    return f"/api/v1/programmes/{programme.id}/measures"


def test_a_therapist_schedules_a_measure_and_sees_its_administrations(
    app, client, therapist, patient, programme
) -> None:
    body = {"measure": "NDI", "at_start": True, "every_weeks": 2, "at_end": True}
    created = client.post(_path(programme), json=body, headers=therapist.headers)
    assert created.status_code == 201, created.json
    schedule = created.json
    assert created.headers["Location"] == f"{_path(programme)}/{schedule['id']}"
    assert (schedule["measure"], schedule["window_days"], schedule["patient_id"]) == (
        "NDI",
        7,
        str(patient.id),
    )
    start = date.fromisoformat(schedule["administrations"][0]["due"])
    assert start == date.today() - timedelta(days=30)
    occasions = [(a["occasion"], a["due"]) for a in schedule["administrations"]]
    # Start, then every two weeks: days 14 and 28 have come, day 42 is next.
    assert occasions == [
        ("start", start.isoformat()),
        *(("periodic", (start + timedelta(weeks=w)).isoformat()) for w in (2, 4, 6)),
    ]
    assert schedule["administrations"][0]["closes"] == (start + timedelta(days=6)).isoformat()

    listed = client.get(_path(programme), headers=therapist.headers)
    assert listed.json["items"] == [schedule]
    one = client.get(created.headers["Location"], headers=therapist.headers)
    assert one.json == schedule
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.patient_id == patient.id)
            .order_by(AuditEvent.at)
        ).all()
    assert actions == ["measure_schedule.create", "measure_schedule.list", "measure_schedule.read"]


def test_the_same_measure_twice_a_change_score_at_the_start_and_no_occasion_are_refused(
    client, therapist, programme
) -> None:
    headers = therapist.headers
    assert (
        client.post(
            _path(programme), json={"measure": "HIT-6", "every_weeks": 4}, headers=headers
        ).status_code
        == 201
    )
    again = client.post(
        _path(programme), json={"measure": "HIT-6", "at_end": True}, headers=headers
    )
    assert again.status_code == 409
    assert again.json["detail"] == "This measure is already scheduled on the programme."

    groc = client.post(
        _path(programme),
        json={"measure": "GROC", "at_start": True},
        headers={**headers, "Accept-Language": "tr"},
    )
    assert groc.status_code == 422
    assert groc.json["errors"] == {
        "at_start": ["Değişim puanı başlangıçta değil, tedavi sürerken sorulur."]
    }
    assert (
        client.post(
            _path(programme), json={"measure": "GROC", "at_end": True}, headers=headers
        ).status_code
        == 201
    )

    never = client.post(_path(programme), json={"measure": "PSFS"}, headers=headers)
    assert never.status_code == 422
    assert never.json["errors"] == {
        "at_start": ["Give at least one of at_start, every_weeks or at_end."]
    }
    unknown = client.post(
        _path(programme), json={"measure": "ODI", "at_start": True}, headers=headers
    )
    assert (unknown.status_code, unknown.json["errors"]) == (422, {"measure": ["Unknown measure."]})
    weekly = {"measure": "PSFS", "every_weeks": 0}
    assert client.post(_path(programme), json=weekly, headers=headers).status_code == 422


def test_removing_stops_the_schedule_keeps_responses_and_allows_attaching_again(
    app, client, therapist, patient, programme, respond
) -> None:
    created = client.post(
        _path(programme), json={"measure": "NDI", "every_weeks": 4}, headers=therapist.headers
    ).json
    assert respond(response_body("NDI", ndi_answers(NDI_24))).status_code == 201
    item = f"{_path(programme)}/{created['id']}"
    assert client.delete(item, headers=therapist.headers).status_code == 204
    assert client.get(item, headers=therapist.headers).status_code == 404
    assert client.delete(item, headers=therapist.headers).status_code == 404
    assert client.get(_path(programme), headers=therapist.headers).json["items"] == []
    series = client.get(f"/api/v1/patients/{patient.id}/measures", headers=therapist.headers)
    assert len(series.json["items"][0]["responses"]) == 1
    again = client.post(
        _path(programme), json={"measure": "NDI", "at_end": True}, headers=therapist.headers
    )
    assert again.status_code == 201
    with app.app_context():
        removed = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "measure_schedule.remove")
        )
        assert (removed.patient_id, removed.object_id) == (patient.id, created["id"])


def test_a_schedule_belongs_to_its_programme(
    client, therapist, programme, make_programme, make_patient
) -> None:
    other = make_programme(make_patient(therapist), start_date=date.today() - timedelta(days=9))
    created = client.post(
        _path(programme), json={"measure": "NDI", "at_start": True}, headers=therapist.headers
    ).json
    wrong = f"{_path(other)}/{created['id']}"
    assert client.get(wrong, headers=therapist.headers).status_code == 404
    assert client.delete(wrong, headers=therapist.headers).status_code == 404


def test_an_ended_programme_takes_no_new_measure(client, therapist, programme) -> None:
    ended = client.post(
        f"/api/v1/programmes/{programme.id}/end",
        json={"reason": "discharged"},
        headers=therapist.headers,
    )
    assert ended.status_code == 200
    refused = client.post(
        _path(programme), json={"measure": "NDI", "at_start": True}, headers=therapist.headers
    )
    assert refused.status_code == 409


def test_a_response_answers_an_administration_once_within_its_window(
    client, therapist, programme, respond
) -> None:
    schedule = client.post(
        _path(programme),
        json={"measure": "HIT-6", "at_start": True, "every_weeks": 4},
        headers=therapist.headers,
    ).json
    start, four_weeks, eight_weeks = schedule["administrations"]
    assert (start["occasion"], four_weeks["occasion"]) == ("start", "periodic")
    answers = hit6_answers((3, 3, 3, 3, 3, 3))

    closed = respond(response_body("HIT-6", answers, administration_id=start["id"]))
    assert closed.status_code == 422  # due 30 days ago, open for 7
    assert closed.json["errors"]["administration_id"][0].startswith(
        f"Answerable from {start['due']} to {start['closes']}, not on "
    )
    not_yet = respond(response_body("HIT-6", answers, administration_id=eight_weeks["id"]))
    assert not_yet.status_code == 422  # opens in four weeks
    assert not_yet.json["errors"]["administration_id"][0].startswith(
        f"Answerable from {eight_weeks['due']} to {eight_weeks['closes']}, not on "
    )
    unknown = respond(response_body("HIT-6", answers, administration_id=str(uuid.uuid4())))
    assert unknown.status_code == 422
    assert unknown.json["errors"]["administration_id"][0].startswith(
        "No administration of HIT-6 with this id is due by "
    )

    due = date.fromisoformat(four_weeks["due"])
    assert due <= date.today() <= date.fromisoformat(four_weeks["closes"])
    answered = respond(response_body("HIT-6", answers, administration_id=four_weeks["id"]))
    assert answered.status_code == 201, answered.json
    assert answered.json["administration_id"] == four_weeks["id"]
    twice = respond(response_body("HIT-6", answers, administration_id=four_weeks["id"]))
    assert twice.status_code == 409
    assert twice.json["detail"] == "This administration has already been answered."
    other_measure = respond(
        response_body(
            "GROC", [{"item": "overall_change", "value": 1}], administration_id=four_weeks["id"]
        )
    )
    assert other_measure.status_code == 422
