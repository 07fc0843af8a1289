"""Adherence and pain endpoints: who may read them, ranges, and the response shape."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from tests.adherence.conftest import pain, session
from tests.tracking.conftest import now_utc

UTC_TODAY = now_utc().date()


@pytest.fixture
def setting(make_staff, make_patient, make_programme):
    therapist = make_staff()
    patient = make_patient(therapist, timezone="UTC")
    make_programme(patient, start_date=UTC_TODAY - timedelta(days=10), baseline_pain=None)
    return therapist, patient


def _range(start: date, end: date) -> str:
    return f"from={start.isoformat()}&to={end.isoformat()}"


def test_staff_reads_a_patients_adherence(client, app, setting, ingest) -> None:
    therapist, patient = setting
    yesterday = UTC_TODAY - timedelta(days=1)
    utc = ZoneInfo("UTC")
    ingest(
        patient,
        now_utc(),
        session(yesterday, "morning", "completed", utc, hour=9),
        session(yesterday, "evening", "partial", utc, hour=20),
    )
    url = f"/api/v1/patients/{patient.id}/adherence?{_range(yesterday, yesterday)}"

    response = client.get(url, headers=therapist.headers)

    assert response.status_code == 200
    (day,) = response.json["days"]
    assert day["date"] == yesterday.isoformat()
    assert (day["sessions_prescribed"], day["completed"], day["partial"]) == (2, 1, 1)
    assert day["ratio"] == 0.75
    assert response.json["totals"]["ratio"] == 0.75
    assert response.json["from"] == response.json["to"] == yesterday.isoformat()
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
        ).all()
        assert "adherence.read" in actions


def test_patient_reads_own_adherence_with_default_range(client, setting) -> None:
    _, patient = setting
    response = client.get("/api/v1/me/adherence", headers=patient.headers)
    assert response.status_code == 200
    assert len(response.json["days"]) == 28
    assert response.json["to"] == UTC_TODAY.isoformat()


@pytest.mark.parametrize(
    "query",
    [
        _range(date(2026, 3, 5), date(2026, 3, 4)),
        _range(date(2025, 1, 1), date(2026, 1, 2)),
        "from=yesterday",
        _range(date(9999, 12, 25), date(9999, 12, 31)),
        _range(date(1, 1, 1), date(1, 1, 2)),
    ],
)
def test_bad_ranges_are_422(client, setting, query) -> None:
    therapist, patient = setting
    for url, headers in [
        (f"/api/v1/patients/{patient.id}/adherence?{query}", therapist.headers),
        (f"/api/v1/patients/{patient.id}/pain?{query}", therapist.headers),
        (f"/api/v1/me/adherence?{query}", patient.headers),
    ]:
        response = client.get(url, headers=headers)
        assert response.status_code == 422, url
        assert response.content_type == "application/problem+json"


def test_a_366_day_range_is_accepted(client, setting) -> None:
    therapist, patient = setting
    query = _range(UTC_TODAY - timedelta(days=365), UTC_TODAY)
    response = client.get(
        f"/api/v1/patients/{patient.id}/adherence?{query}", headers=therapist.headers
    )
    assert response.status_code == 200
    assert len(response.json["days"]) == 366


def test_other_clinics_and_patients_cannot_read(client, setting, make_staff, make_patient) -> None:
    therapist, patient = setting
    stranger = make_staff()
    other_patient = make_patient(therapist)
    for path in ("adherence", "pain"):
        url = f"/api/v1/patients/{patient.id}/{path}"
        assert client.get(url, headers=stranger.headers).status_code == 404
        assert client.get(url, headers=other_patient.headers).status_code == 403
        assert client.get(url).status_code == 401


def test_pain_series_and_no_baseline_before_seven_days(client, setting, ingest) -> None:
    therapist, patient = setting
    day = UTC_TODAY - timedelta(days=2)
    at = datetime.combine(day, time(7, 0), tzinfo=UTC)
    headache = {
        "id": str(uuid.uuid4()),
        "recorded_at": (at + timedelta(hours=6)).isoformat(),
        "started_at": (at + timedelta(hours=4)).isoformat(),
        "duration_minutes": 45,
        "intensity": 7,
        "side": "left",
        "medication_taken": True,
    }
    ingest(
        patient,
        now_utc(),
        pain(at, 3, "morning"),
        pain(at + timedelta(hours=12), 6, "evening"),
        ("headache_entry", headache),
    )
    url = f"/api/v1/patients/{patient.id}/pain?{_range(day, day)}"

    response = client.get(url, headers=therapist.headers)

    assert response.status_code == 200
    (row,) = response.json["days"]
    assert (row["date"], row["max_pain"], row["mean_pain"], row["morning_pain"]) == (
        day.isoformat(),
        7,
        4.5,
        3,
    )
    assert (row["headache_count"], row["headache_minutes"]) == (1, 45)
    # One day with data: the flag engine has no baseline yet (it needs 7), nor does the report.
    assert response.json["baseline"] == {"value": None, "source": "none", "days_used": 0}
