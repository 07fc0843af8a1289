"""Clinic settings through the API: who may read and change them, validation, and their effect on
flags (thresholds, with programme > clinic > default), red-flag guidance and the digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from server.flags.jobs import run_pending_evaluations
from server.flags.models import Flag, FlagEvaluationState
from server.reminders.alerts import enqueue_flag_digests
from tests.factories import DEFAULT_SCHEDULE
from tests.tracking.conftest import now_utc, pain_body, symptom_body

CLINIC = "/api/v1/clinic"
PROBLEM = "application/problem+json"


@pytest.fixture
def staff(make_clinic, make_staff):
    clinic = make_clinic(name="Bosphorus Physio")
    return make_staff(clinic, role="clinic_admin"), make_staff(clinic)


def _patch(client, admin, body):
    response = client.patch(CLINIC, json=body, headers=admin.headers)
    assert response.status_code == 200, response.json
    return response.json


def _rate(client, patient, score):
    body = pain_body(score=score)
    assert (
        client.post("/api/v1/me/pain-ratings", json=body, headers=patient.headers).status_code
        == 201
    )


def _evaluate(app) -> None:
    with app.app_context():
        run_pending_evaluations(now_utc() + timedelta(seconds=10))


def _flags(app, patient, flag_type):
    with app.app_context():
        return db.session.scalars(
            sa.select(Flag).where(Flag.patient_id == patient.id, Flag.type == flag_type)
        ).all()


def test_staff_read_the_settings_with_defaults(client, staff) -> None:
    _, therapist = staff

    response = client.get(CLINIC, headers=therapist.headers)

    assert response.status_code == 200
    body = response.json
    assert body["name"] == "Bosphorus Physio"
    assert (body["digest_time"], body["emergency_number"]) == ("08:00", "112")
    assert body["default_language"] == "tr"
    assert body["flag_thresholds"] == {}
    assert body["effective_flag_thresholds"]["high_pain"] == {"value": 8.0, "source": "default"}


def test_a_patient_may_not_read_and_a_therapist_may_not_change_them(
    client, staff, make_patient
) -> None:
    _, therapist = staff
    patient = make_patient(therapist)

    read = client.get(CLINIC, headers=patient.headers)
    change = client.patch(CLINIC, json={"name": "Mine now"}, headers=therapist.headers)

    assert (read.status_code, read.content_type) == (403, PROBLEM)
    assert (change.status_code, change.content_type) == (403, PROBLEM)


def test_an_admin_changes_the_settings_and_each_kind_of_change_is_audited(
    client, app, staff
) -> None:
    admin, therapist = staff
    body = _patch(
        client,
        admin,
        {
            "name": "Bosphorus Physio Kadıköy",
            "timezone": "Europe/London",
            "emergency_number": "999",
            "digest_time": "17:30",
            "default_language": "en",
            "flag_thresholds": {"high_pain": 9, "settle_window_days": 4},
        },
    )
    again = _patch(client, admin, {"emergency_number": "999"})  # no change: no event

    assert client.get(CLINIC, headers=therapist.headers).json == body == again
    assert body["timezone"] == "Europe/London"
    assert body["digest_time"] == "17:30"
    assert body["default_language"] == "en"
    assert body["flag_thresholds"] == {"high_pain": 9.0, "settle_window_days": 4}
    assert body["effective_flag_thresholds"]["settle_window_days"] == {
        "value": 4,
        "source": "clinic",
    }
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.action)).all()
        assert [(e.action, e.actor_id, e.object_type) for e in events] == [
            ("clinic.flag_thresholds_change", admin.id, "clinic"),
            ("clinic.update", admin.id, "clinic"),
        ]


def test_null_restores_a_thresholds_default_and_other_keys_stay(client, staff) -> None:
    admin, _ = staff
    _patch(client, admin, {"flag_thresholds": {"high_pain": 9, "flare_rise": 3}})

    body = _patch(client, admin, {"flag_thresholds": {"high_pain": None}})

    assert body["flag_thresholds"] == {"flare_rise": 3.0}
    assert body["effective_flag_thresholds"]["high_pain"] == {"value": 8.0, "source": "default"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"flag_thresholds": {"pain_is_high": 9}}, "flag_thresholds"),
        ({"flag_thresholds": {"high_pain": 11}}, "flag_thresholds"),
        ({"flag_thresholds": {"high_pain": "9"}}, "flag_thresholds"),
        ({"flag_thresholds": {"settle_window_days": 2.5}}, "flag_thresholds"),
        ({"flag_thresholds": {"adherence_min": 0}}, "flag_thresholds"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"digest_time": "8am"}, "digest_time"),
        ({"digest_time": "24:00"}, "digest_time"),
        ({"emergency_number": "call 112"}, "emergency_number"),
        ({"default_language": "de"}, "default_language"),
        ({"name": ""}, "name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_422_naming_the_field(client, staff, body, field) -> None:
    admin, _ = staff

    response = client.patch(CLINIC, json=body, headers=admin.headers)

    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert field in response.json["errors"]


def test_a_clinics_high_pain_threshold_decides_its_patients_flags(
    client, app, staff, make_patient
) -> None:
    admin, therapist = staff
    patient = make_patient(therapist, timezone="UTC")
    elsewhere = make_patient(timezone="UTC")  # another clinic keeps the default 8
    _patch(client, admin, {"flag_thresholds": {"high_pain": 9}})

    _rate(client, patient, 8)
    _rate(client, elsewhere, 8)
    _evaluate(app)

    assert _flags(app, patient, "high_pain") == []
    assert len(_flags(app, elsewhere, "high_pain")) == 1
    _rate(client, patient, 9)
    _evaluate(app)
    (flag,) = _flags(app, patient, "high_pain")
    (entry,) = flag.evidence
    assert entry["thresholds"] == {"high_pain": 9.0}
    assert entry["threshold_sources"] == {"high_pain": "clinic"}


def test_a_programmes_threshold_beats_the_clinics(
    client, app, staff, make_patient, make_exercise
) -> None:
    admin, therapist = staff
    patient = make_patient(therapist, timezone="UTC")
    _patch(client, admin, {"flag_thresholds": {"high_pain": 9}})
    created = client.post(
        f"/api/v1/patients/{patient.id}/programmes",
        json={
            "items": [{"exercise_id": str(make_exercise())}],
            "schedule": DEFAULT_SCHEDULE,
            "start_date": (now_utc() - timedelta(days=1)).date().isoformat(),
            "flag_thresholds": {"high_pain": 7},
        },
        headers=therapist.headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["revision"]["flag_thresholds"] == {"high_pain": 7.0}

    _rate(client, patient, 7)
    _evaluate(app)

    (flag,) = _flags(app, patient, "high_pain")
    detail = client.get(f"/api/v1/flags/{flag.id}", headers=therapist.headers).json
    assert [e["thresholds"] for e in detail["evidence"]] == [{"high_pain": 7.0}]
    assert [e["threshold_sources"] for e in detail["evidence"]] == [{"high_pain": "programme"}]


def test_a_revision_changes_the_programmes_thresholds_and_carries_them_over(
    client, staff, make_patient, make_exercise
) -> None:
    _, therapist = staff
    patient = make_patient(therapist, timezone="UTC")
    programme = client.post(
        f"/api/v1/patients/{patient.id}/programmes",
        json={
            "items": [{"exercise_id": str(make_exercise())}],
            "schedule": DEFAULT_SCHEDULE,
            "start_date": now_utc().date().isoformat(),
            "flag_thresholds": {"high_pain": 7, "flare_rise": 3},
        },
        headers=therapist.headers,
    ).json
    path = f"/api/v1/programmes/{programme['id']}"

    revised = client.post(
        f"{path}/revisions",
        json={"base_revision": 1, "reason": "Calmer", "flag_thresholds": {"high_pain": None}},
        headers=therapist.headers,
    )
    progressed = client.post(
        f"{path}/intensity",
        json={"base_revision": 2, "direction": "progress", "reason": "Doing well"},
        headers=therapist.headers,
    )
    refused = client.post(
        f"{path}/revisions",
        json={"base_revision": 3, "reason": "x", "flag_thresholds": {"flare_rise": 0}},
        headers=therapist.headers,
    )

    assert revised.status_code == 201, revised.json
    assert revised.json["revision"]["flag_thresholds"] == {"flare_rise": 3.0}
    assert progressed.json["revision"]["flag_thresholds"] == {"flare_rise": 3.0}
    assert refused.status_code == 422
    assert "flag_thresholds" in refused.json["errors"]


def test_a_threshold_change_re_evaluates_the_clinics_patients(
    client, app, staff, make_patient
) -> None:
    admin, therapist = staff
    patient = make_patient(therapist, timezone="UTC")
    _rate(client, patient, 8)
    _evaluate(app)
    (flag,) = _flags(app, patient, "high_pain")
    assert flag.status == "open"

    _patch(client, admin, {"flag_thresholds": {"high_pain": 9}})
    with app.app_context():
        state = db.session.get(FlagEvaluationState, patient.id)
        assert state.next_sweep_at <= datetime.now(UTC)
        assert state.pending_from == now_utc().date()
    _evaluate(app)

    (flag,) = _flags(app, patient, "high_pain")
    assert (flag.status, flag.auto_resolution_reason) == ("auto_resolved", "superseded")


def test_the_emergency_number_set_through_the_api_is_in_the_guidance(
    client, staff, make_patient
) -> None:
    admin, therapist = staff
    patient = make_patient(therapist, language="en")
    _patch(client, admin, {"emergency_number": "911"})

    response = client.post(
        "/api/v1/me/symptom-checks", json=symptom_body(thunderclap=True), headers=patient.headers
    )

    assert response.status_code == 201
    assert "911" in response.json["guidance"]
    assert "112" not in response.json["guidance"]


def test_the_digest_goes_out_at_the_clinics_digest_time(client, app, staff, make_patient) -> None:
    admin, therapist = staff
    patient = make_patient(therapist, timezone="UTC")
    _rate(client, patient, 9)
    _evaluate(app)
    _patch(client, admin, {"timezone": "UTC", "digest_time": "18:30"})
    today = date.today()

    def digests_at(hour: int, minute: int) -> int:
        with app.app_context():
            sent = enqueue_flag_digests(
                datetime(today.year, today.month, today.day, hour, minute, tzinfo=UTC)
            )
            db.session.rollback()
            return sent

    assert digests_at(8, 1) == 0
    assert digests_at(18, 29) == 0
    assert digests_at(18, 31) == 1
