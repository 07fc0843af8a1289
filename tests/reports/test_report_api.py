"""The progress report through the API: a PDF that opens, fits one or two pages, and carries
the patient's name, the range, adherence and pain figures, in Turkish and in English."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from server.audit.models import AuditEvent
from server.clock import utcnow
from server.extensions import db
from tests.accounts.helpers import add_pain_rating, add_session_log
from tests.factories import ClinicHandle, ProgrammeHandle, UserHandle

NAME = "Ayşe Yılmaz Güneş"


@pytest.fixture
def course(
    app: Flask,
    make_clinic: Callable[..., ClinicHandle],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
) -> tuple[UserHandle, UserHandle]:
    """A Turkish clinic's patient with two weeks of a programme, sessions and pain ratings."""
    clinic = make_clinic(name="Işık Fizik Tedavi", language="tr")
    therapist = make_staff(clinic)
    patient = make_patient(therapist, name=NAME, timezone="Europe/Istanbul")
    today = utcnow().date()
    make_programme(patient, start_date=today - timedelta(days=13), baseline_pain=5)
    for offset in range(13, 0, -1):
        day = today - timedelta(days=offset)
        noon = datetime.combine(day, time(9, 0), UTC)
        add_pain_rating(app, patient, 6 if offset > 7 else 3, noon)
        if offset % 2:
            add_session_log(app, patient, noon, day=day)
    return patient, therapist


def _report(client: FlaskClient, patient: UserHandle, staff: UserHandle, **query) -> PdfReader:
    answer = client.get(
        f"/api/v1/patients/{patient.id}/report.pdf", query_string=query, headers=staff.headers
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/pdf"
    return PdfReader(io.BytesIO(answer.data))


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_report_is_in_the_clinics_language_with_turkish_letters(
    client: FlaskClient, course: tuple[UserHandle, UserHandle]
) -> None:
    patient, therapist = course
    today = utcnow().date()
    reader = _report(client, patient, therapist)
    assert 1 <= len(reader.pages) <= 2
    text = _text(reader)
    assert NAME in text
    assert "Işık Fizik Tedavi" in text
    assert "İlerleme raporu" in text
    start = today - timedelta(days=13)  # the programme's start, within the last 28 days
    assert f"{start.isoformat()} – {today.isoformat()}" in text
    assert "Reçete edilen seans" in text
    assert "Uyum" in text
    assert "Günlük en yüksek ağrı ortalaması" in text
    assert "Başlangıç değeri 5" in text


def test_the_report_in_english_has_the_figures(
    client: FlaskClient, course: tuple[UserHandle, UserHandle]
) -> None:
    patient, therapist = course
    today = utcnow().date()
    start = today - timedelta(days=13)
    end = today - timedelta(days=1)
    reader = _report(
        client, patient, therapist, **{"from": start.isoformat(), "to": end.isoformat()}, lang="en"
    )
    text = _text(reader)
    assert "Progress report" in text
    assert NAME in text
    assert f"{start.isoformat()} – {end.isoformat()}" in text
    # Every day of the 13 was prescribed two sessions; 7 were logged completed.
    assert "Sessions prescribed 26: completed 7, partial 0, skipped 0, not logged 19" in text
    assert "Adherence 27%" in text
    # Pain: 6 on the first six days, then 3: the first week (six 6s and a 3) means 5.6.
    assert "Days with pain data 13" in text
    assert "Mean daily maximum in the first week 5.6, in the last week 3" in text
    assert "highest 6" in text


def test_the_report_read_is_audited_for_the_patient(
    app: Flask, client: FlaskClient, course: tuple[UserHandle, UserHandle]
) -> None:
    patient, therapist = course
    _report(client, patient, therapist)
    with app.app_context():
        readers = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.patient_id).where(
                AuditEvent.action == "report.read"
            )
        ).all()
    assert readers == [(therapist.id, patient.id)]


def test_bad_ranges_and_languages_get_field_errors(
    client: FlaskClient, course: tuple[UserHandle, UserHandle]
) -> None:
    patient, therapist = course
    url = f"/api/v1/patients/{patient.id}/report.pdf"
    for query, field in (
        ({"from": "2027-02-01", "to": "2027-01-01"}, "from"),
        ({"lang": "de"}, "lang"),
        ({"from": "yesterday"}, "from"),
    ):
        answer = client.get(url, query_string=query, headers=therapist.headers)
        assert answer.status_code == 422, answer.json
        assert field in answer.json["errors"] or field in str(answer.json["errors"])


def test_the_report_is_rate_limited_per_user(
    app: Flask, client: FlaskClient, course: tuple[UserHandle, UserHandle]
) -> None:
    patient, therapist = course
    app.config["REPORT_RATE_LIMIT"] = "1 per minute"
    url = f"/api/v1/patients/{patient.id}/report.pdf"
    statuses = [client.get(url, headers=therapist.headers).status_code for _ in range(2)]
    assert statuses == [200, 429]
