"""The calendar feed through the API: make, read, replace and revoke a private URL; the token
shows only its own patient's schedule and never reaches a log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import recurring_ical_events
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from server.accounts.seed import load_consent_texts
from server.audit.models import AuditEvent
from server.calendar.models import CalendarFeed
from server.clock import utcnow
from server.extensions import db
from server.logs import scrub_request_targets
from tests.factories import ClinicHandle, ProgrammeHandle, UserHandle

FEED = "/api/v1/me/calendar-feed"


def _make_feed(client: FlaskClient, patient: UserHandle) -> str:
    answer = client.post(FEED, headers=patient.headers)
    assert answer.status_code == 201, answer.json
    url = answer.json["url"]
    assert answer.headers["Location"] == url
    assert url.startswith("http://localhost/api/v1/calendar-feeds/")
    assert url.endswith(".ics")
    return url.removeprefix("http://localhost")


def _read(client: FlaskClient, path: str) -> Calendar:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type == "text/calendar; charset=utf-8"
    return Calendar.from_ical(answer.data)


@pytest.fixture
def london_patient(
    make_patient: Callable[..., UserHandle], make_programme: Callable[..., ProgrammeHandle]
) -> tuple[UserHandle, ProgrammeHandle]:
    patient = make_patient(timezone="Europe/London")
    return patient, make_programme(patient, start_date=date(2027, 3, 15))


def test_the_feed_keeps_eight_oclock_across_the_london_dst_change(
    client: FlaskClient, london_patient: tuple[UserHandle, ProgrammeHandle]
) -> None:
    patient, programme = london_patient
    calendar = _read(client, _make_feed(client, patient))
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    occurrences = recurring_ical_events.of(calendar).between(date(2027, 3, 22), date(2027, 4, 4))
    mornings = [e for e in occurrences if ".morning@" in str(e["uid"])]
    assert len(mornings) == 13
    assert {e["dtstart"].dt.strftime("%H:%M") for e in mornings} == {"08:00"}
    assert {str(e["uid"]) for e in mornings} == {f"{programme.id}.r1.morning@hep-tracker"}
    evenings = [e for e in occurrences if ".evening@" in str(e["uid"])]
    assert {e["dtstart"].dt.strftime("%H:%M") for e in evenings} == {"19:00"}


def test_a_revoked_or_replaced_url_answers_404(
    client: FlaskClient, london_patient: tuple[UserHandle, ProgrammeHandle]
) -> None:
    patient, _ = london_patient
    first = _make_feed(client, patient)
    second = _make_feed(client, patient)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.delete(FEED, headers=patient.headers).status_code == 204
    gone = client.get(second)
    assert gone.status_code == 404
    assert gone.content_type == "application/problem+json"
    assert client.delete(FEED, headers=patient.headers).status_code == 204
    assert client.get("/api/v1/calendar-feeds/not-a-token.ics").status_code == 404


def test_a_token_shows_only_its_own_patients_schedule(
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
) -> None:
    ayse = make_patient(timezone="Europe/Istanbul", language="tr")
    ben = make_patient(timezone="Europe/London")
    ayse_programme = make_programme(ayse, start_date=utcnow().date())
    ben_programme = make_programme(ben, start_date=utcnow().date())
    ayse_feed, ben_feed = _make_feed(client, ayse), _make_feed(client, ben)

    ayse_uids = {str(e["uid"]) for e in _read(client, ayse_feed).walk("VEVENT")}
    assert ayse_uids
    assert all(u.startswith(str(ayse_programme.id)) for u in ayse_uids)
    ben_calendar = _read(client, ben_feed)
    assert all(str(e["uid"]).startswith(str(ben_programme.id)) for e in ben_calendar.walk("VEVENT"))
    assert [str(z["tzid"]) for z in ben_calendar.walk("VTIMEZONE")] == ["Europe/London"]
    turkish = {str(e["summary"]) for e in _read(client, ayse_feed).walk("VEVENT")}
    assert "Egzersiz seansı (sabah)" in turkish


def test_the_feed_reflects_a_revision_and_lists_due_questionnaires(
    client: FlaskClient,
    london_patient: tuple[UserHandle, ProgrammeHandle],
    make_staff: Callable[..., UserHandle],
    measure_library: dict[str, int],
    app: Flask,
) -> None:
    patient, programme = london_patient
    with app.app_context():
        from server.accounts.models import User

        email = db.session.get_one(User, patient.therapist_id).email
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": patient.password}
    ).json["access_token"]
    staff = {"Authorization": f"Bearer {token}"}
    scheduled = client.post(
        f"/api/v1/programmes/{programme.id}/measures",
        json={"measure": "NDI", "at_start": True, "every_weeks": 4},
        headers=staff,
    )
    assert scheduled.status_code == 201, scheduled.json
    revised = client.post(
        f"/api/v1/programmes/{programme.id}/revisions",
        json={
            "base_revision": 1,
            "reason": "fewer sessions",
            "schedule": {"days": [1, 3, 5], "slots": [{"slot": "morning", "time": "07:30"}]},
        },
        headers=staff,
    )
    assert revised.status_code == 201, revised.json
    calendar = _read(client, _make_feed(client, patient))
    uids = {str(e["uid"]) for e in calendar.walk("VEVENT")}
    # Revision 2 took effect today, before the programme's start: it is the whole schedule.
    assert f"{programme.id}.r2.morning@hep-tracker" in uids
    assert f"{programme.id}.r1.morning@hep-tracker" not in uids
    due = [e for e in calendar.walk("VEVENT") if "Questionnaire" in str(e["summary"])]
    assert due
    assert due[0]["dtstart"].dt == date(2027, 3, 15)
    later = recurring_ical_events.of(calendar).between(date(2027, 3, 15), date(2027, 3, 22))
    assert {e["dtstart"].dt.strftime("%H:%M") for e in later if ".morning@" in str(e["uid"])} == {
        "07:30"
    }


def test_the_read_is_audited_for_the_patient_and_only_a_digest_is_stored(
    app: Flask, client: FlaskClient, london_patient: tuple[UserHandle, ProgrammeHandle]
) -> None:
    patient, _ = london_patient
    path = _make_feed(client, patient)
    token = path.removeprefix("/api/v1/calendar-feeds/").removesuffix(".ics")
    assert len(token) >= 43
    _read(client, path)
    with app.app_context():
        actions = set(
            db.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
            )
        )
        digests = list(db.session.scalars(sa.select(CalendarFeed.token_digest)))
    assert {"calendar_feed.create", "calendar_feed.read"} <= actions
    assert token not in digests
    assert all(len(d) == 64 for d in digests)


def test_the_token_reaches_no_log_line(
    client: FlaskClient,
    london_patient: tuple[UserHandle, ProgrammeHandle],
    caplog: pytest.LogCaptureFixture,
) -> None:
    patient, _ = london_patient
    with caplog.at_level(logging.DEBUG):
        path = _make_feed(client, patient)
        client.get(path)
        client.get(path + "?x=1")
    token = path.removeprefix("/api/v1/calendar-feeds/").removesuffix(".ics")
    assert caplog.records, "the request log wrote nothing"
    assert not [r for r in caplog.records if token in r.getMessage() or token in str(r.__dict__)]
    gunicorn_line = f'127.0.0.1 "GET {path} HTTP/1.1" 200'
    assert scrub_request_targets(gunicorn_line) == (
        '127.0.0.1 "GET /api/v1/calendar-feeds/<token> HTTP/1.1" 200'
    )


def test_only_patients_make_feeds(client: FlaskClient, make_staff: Callable[..., UserHandle]):
    therapist = make_staff()
    assert client.post(FEED, headers=therapist.headers).status_code == 403
    assert client.post(FEED).status_code == 401


def test_the_feed_is_rate_limited_per_address(
    app: Flask, client: FlaskClient, london_patient: tuple[UserHandle, ProgrammeHandle]
) -> None:
    patient, _ = london_patient
    path = _make_feed(client, patient)
    app.config["CALENDAR_FEED_RATE_LIMIT"] = "2 per minute"
    statuses = [client.get(path).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_programme_long_ended_leaves_the_feed(
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
    app: Flask,
) -> None:
    patient = make_patient()
    programme = make_programme(patient, start_date=utcnow().date() - timedelta(days=200))
    with app.app_context():
        from server.programmes.models import Programme

        db.session.get_one(Programme, programme.id).end_date = utcnow().date() - timedelta(days=100)
        db.session.commit()
    assert list(_read(client, _make_feed(client, patient)).walk("VEVENT")) == []


def test_withdrawing_consent_revokes_the_feed_and_erasure_deletes_it(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    london_patient: tuple[UserHandle, ProgrammeHandle],
    seed_dir: Path,
) -> None:
    patient, _ = london_patient
    with app.app_context():
        load_consent_texts(seed_dir)
        db.session.commit()
    consent = client.post("/api/v1/me/consents", json={"version": 1}, headers=patient.headers)
    assert consent.status_code in (200, 201), consent.json
    first = _make_feed(client, patient)
    withdrawn = client.post("/api/v1/me/consents/withdraw", headers=patient.headers)
    assert withdrawn.status_code in (200, 201), withdrawn.json
    assert client.get(first).status_code == 404

    _make_feed(client, patient)
    admin = make_staff(ClinicHandle(patient.clinic_id, ""), role="clinic_admin")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 2
    erased = client.delete(
        f"/api/v1/patients/{patient.id}", json={"reason": "asked"}, headers=admin.headers
    )
    assert erased.status_code == 204
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0
