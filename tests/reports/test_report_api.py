"""The progress report through the API: a PDF that opens, fits one or two pages, and carries
the patient's name, the range, adherence and pain figures, in Turkish and in English."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from server.audit.models import AuditEvent
from server.clock import local_date_of, utcnow
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
    today = patient_today()
    make_programme(patient, start_date=today - timedelta(days=13), baseline_pain=5)
    for offset in range(13, 0, -1):
        day = today - timedelta(days=offset)
        noon = datetime.combine(day, time(9, 0), UTC)
        add_pain_rating(app, patient, 6 if offset > 7 else 3, noon)
        if offset % 2:
            add_session_log(app, patient, noon, day=day)
    return patient, therapist


def patient_today() -> date:
    """The patient's date in Istanbul, the report's: after 21:00 UTC it is already tomorrow."""
    return local_date_of(utcnow(), ZoneInfo("Europe/Istanbul"))


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
    today = patient_today()
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
    today = patient_today()
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


def test_measures_are_interpreted_by_the_mcid_and_flags_show_how_they_were_handled(
    client: FlaskClient, course: tuple[UserHandle, UserHandle], measure_library: dict[str, int]
) -> None:
    from tests.measures.conftest import NDI_14, NDI_24, ndi_answers, response_body

    patient, therapist = course
    for values, days_ago in ((NDI_24, 10), (NDI_14, 2)):
        recorded_at = datetime.now(UTC) - timedelta(days=days_ago)
        body = response_body("NDI", ndi_answers(values), recorded_at=recorded_at)
        answer = client.post("/api/v1/me/measure-responses", json=body, headers=patient.headers)
        assert answer.status_code == 201, answer.json
    check = {"id": str(uuid.uuid4()), "recorded_at": datetime.now(UTC).isoformat()}
    check["answers"] = {"thunderclap": True}
    assert client.post("/api/v1/me/symptom-checks", json=check, headers=patient.headers).json[
        "urgent"
    ]
    flags = client.get(f"/api/v1/patients/{patient.id}/flags", headers=therapist.headers).json
    (flag,) = flags["items"]
    resolved = client.post(
        f"/api/v1/flags/{flag['id']}/resolve",
        json={"note": "Called; seen in the emergency department.", "action": "referred"},
        headers=therapist.headers,
    )
    assert resolved.status_code == 200, resolved.json

    turkish = _text(_report(client, patient, therapist))
    assert "Boyun Disabilite İndeksi: başlangıç 24, son 14" in turkish
    assert "değişim +10 (MCID 7.5): iyileşme" in turkish
    assert "Kırmızı bayrak (acil)" in turkish
    assert "çözüldü, yapılan: sevk edildi" in turkish
    english = _text(_report(client, patient, therapist, lang="en"))
    assert "Neck Disability Index: baseline 24, latest 14" in english
    assert "(MCID 7.5): improved" in english
    assert "Red flag (urgent)" in english
    assert "resolved, action: referred" in english
    assert "Called; seen" not in english  # the therapist's note stays out of a shared report


def test_a_patient_without_a_programme_gets_a_report_that_says_so(
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist, name="Zeynep Kılıç")
    text = _text(_report(client, patient, therapist, lang="en"))
    assert "Zeynep Kılıç" in text
    assert "No programme in this period." in text
    assert "Sessions prescribed 0" in text
    assert "Adherence –" in text
    assert "No baseline yet" in text
