"""Issue 20 item 5: every operation of the OpenAPI spec that reads or writes a patient's data
leaves an audit row naming that patient, so ``GET /audit?patient_id=`` shows everyone who
touched them.

The operations come from ``/api/v1/openapi.json``: each is either a step of the walk below (a
valid request, run in order on one patient) or listed in ``NOT_PATIENT_DATA`` with the reason.
A new operation fails this test until it is one or the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.audit.queries import trail
from server.clock import utcnow
from server.extensions import db
from server.reminders.models import Notification
from tests.factories import ClinicHandle, ProgrammeHandle, UserHandle

METHODS = ("get", "post", "put", "patch", "delete")
NOT_PATIENT_DATA = {
    ("GET", "/healthz"): "no data",
    ("GET", "/livez"): "no data",
    ("GET", "/readyz"): "no data",
    ("POST", "/api/v1/auth/login"): "opens a session (audited as auth.login, before any data)",
    ("POST", "/api/v1/auth/refresh"): "rotates a session's tokens",
    ("POST", "/api/v1/auth/logout"): "ends a session",
    ("POST", "/api/v1/auth/activate"): "sets a password from a code (tests/accounts)",
    ("GET", "/api/v1/therapists"): "staff accounts",
    ("POST", "/api/v1/therapists"): "staff accounts",
    ("PATCH", "/api/v1/therapists/{user_id}"): "staff accounts",
    ("GET", "/api/v1/audit"): "the audit trail itself",
    ("GET", "/api/v1/exercises"): "the exercise library",
    ("POST", "/api/v1/exercises"): "the exercise library",
    ("PATCH", "/api/v1/exercises/{exercise_id}"): "the exercise library",
    ("GET", "/api/v1/programme-templates"): "the template library",
    ("GET", "/api/v1/measures"): "the outcome-measure library",
    ("GET", "/api/v1/clinic"): "the clinic's settings (a change is audited as clinic.update)",
    ("PATCH", "/api/v1/clinic"): "the clinic's settings (audited as clinic.update)",
    ("GET", "/api/v1/consents/current"): "the consent text in force: public, no one's data",
}


@dataclass
class Walk:
    """The patient the walk touches, their therapist, and the ids steps hand to later ones."""

    app: Flask
    client: FlaskClient
    patient: UserHandle
    therapist: UserHandle
    programme: ProgrammeHandle
    ids: dict[str, str]

    def staff(self) -> dict[str, str]:
        return self.therapist.headers

    def me(self) -> dict[str, str]:
        return self.patient.headers


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _record(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "recorded_at": _now(), **fields}


def _today() -> str:
    return utcnow().date().isoformat()


def _add_notification(walk: Walk) -> str:
    with walk.app.app_context():
        now = utcnow()
        row = Notification(
            clinic_id=walk.patient.clinic_id,
            patient_id=walk.patient.id,
            kind="session",
            occurrence_at=now,
            status="sent",
            local_date=now.date(),
            slot="morning",
            language="en",
            title="t",
            message="m",
            sent_at=now,
        )
        db.session.add(row)
        db.session.commit()
        return str(row.id)


def _admin(walk: Walk) -> dict[str, str]:
    """A clinic admin of the walk's clinic (the protocol walk's own, else one made once)."""
    admin = getattr(walk, "admin", None)
    if admin is not None:
        return admin.headers
    if "admin_token" not in walk.ids:
        from server.accounts.models import User
        from server.accounts.sessions import start_session

        with walk.app.app_context():
            user = User(
                clinic_id=walk.patient.clinic_id,
                email="walk.admin@clinic.example",
                name="Walk Admin",
                role="clinic_admin",
                language="en",
            )
            db.session.add(user)
            db.session.flush()
            walk.ids["admin_token"] = start_session(user).access_token
            db.session.commit()
    return {"Authorization": f"Bearer {walk.ids['admin_token']}"}


def _with_consent_texts(walk: Walk) -> None:
    """The consent texts of seed/consents, which the consent steps name (loaded once)."""
    from server.accounts.seed import load_consent_texts
    from server.config import PROJECT_ROOT

    with walk.app.app_context():
        load_consent_texts(PROJECT_ROOT / "seed")
        db.session.commit()


def _consent_step(walk: Walk) -> tuple[str, dict[str, str], Any]:
    _with_consent_texts(walk)
    return "/api/v1/me/consents", walk.me(), {"version": 1}


Step = tuple[str, str, Callable[[Walk], tuple[str, dict[str, str], Any]]]
P = "/api/v1/patients/{patient_id}"
MEASURE = "/api/v1/programmes/{programme_id}/measures/{measure_schedule_id}"
# (method, spec path, walk → (concrete path, headers, json body)), in the order they run.
STEPS: list[Step] = [
    ("GET", "/api/v1/patients", lambda w: ("/api/v1/patients", w.staff(), None)),
    ("GET", P, lambda w: (f"/api/v1/patients/{w.patient.id}", w.staff(), None)),
    (
        "PATCH",
        P,
        lambda w: (f"/api/v1/patients/{w.patient.id}", w.staff(), {"language": "tr"}),
    ),
    (
        "POST",
        f"{P}/invitations",
        lambda w: (f"/api/v1/patients/{w.patient.id}/invitations", w.staff(), {}),
    ),
    ("GET", "/api/v1/me", lambda w: ("/api/v1/me", w.me(), None)),
    (
        "PATCH",
        "/api/v1/me/preferences",
        lambda w: ("/api/v1/me/preferences", w.me(), {"language": "en"}),
    ),
    (
        "GET",
        f"{P}/programmes",
        lambda w: (f"/api/v1/patients/{w.patient.id}/programmes", w.staff(), None),
    ),
    (
        "GET",
        "/api/v1/programmes/{programme_id}",
        lambda w: (f"/api/v1/programmes/{w.programme.id}", w.staff(), None),
    ),
    (
        "GET",
        "/api/v1/programmes/{programme_id}/revisions",
        lambda w: (f"/api/v1/programmes/{w.programme.id}/revisions", w.staff(), None),
    ),
    (
        "POST",
        "/api/v1/programmes/{programme_id}/revisions",
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/revisions",
            w.staff(),
            {"base_revision": 1, "reason": "walk"},
        ),
    ),
    (
        "POST",
        "/api/v1/programmes/{programme_id}/intensity",
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/intensity",
            w.staff(),
            {"base_revision": 2, "direction": "progress", "reason": "walk"},
        ),
    ),
    ("GET", "/api/v1/me/plan", lambda w: ("/api/v1/me/plan", w.me(), None)),
    (
        "GET",
        f"{P}/plan",
        lambda w: (f"/api/v1/patients/{w.patient.id}/plan", w.staff(), None),
    ),
    (
        "POST",
        "/api/v1/me/session-logs",
        lambda w: (
            "/api/v1/me/session-logs",
            w.me(),
            _record(date=_today(), slot="morning", status="skipped"),
        ),
    ),
    (
        "POST",
        "/api/v1/me/pain-ratings",
        lambda w: ("/api/v1/me/pain-ratings", w.me(), _record(score=3, context="now")),
    ),
    (
        "POST",
        "/api/v1/me/headache-entries",
        lambda w: (
            "/api/v1/me/headache-entries",
            w.me(),
            _record(
                started_at=_now(),
                duration_minutes=30,
                intensity=4,
                side="left",
                medication_taken=False,
            ),
        ),
    ),
    (
        "POST",
        "/api/v1/me/posture-breaks",
        lambda w: ("/api/v1/me/posture-breaks", w.me(), _record()),
    ),
    (
        "POST",
        "/api/v1/me/symptom-checks",
        lambda w: (
            "/api/v1/me/symptom-checks",
            w.me(),
            _record(answers={"thunderclap": True}),
        ),
    ),
    (
        "POST",
        "/api/v1/me/sync",
        lambda w: (
            "/api/v1/me/sync",
            w.me(),
            {"items": [{"kind": "pain_rating", "data": _record(score=2, context="now")}]},
        ),
    ),
    (
        "GET",
        f"{P}/adherence",
        lambda w: (f"/api/v1/patients/{w.patient.id}/adherence", w.staff(), None),
    ),
    ("GET", "/api/v1/me/adherence", lambda w: ("/api/v1/me/adherence", w.me(), None)),
    *(
        ("GET", f"/api/v1/me/{kind}", lambda w, kind=kind: (f"/api/v1/me/{kind}", w.me(), None))
        for kind in (
            "session-logs",
            "pain-ratings",
            "headache-entries",
            "posture-breaks",
            "symptom-checks",
        )
    ),
    (
        "GET",
        f"{P}/records",
        lambda w: (f"/api/v1/patients/{w.patient.id}/records", w.staff(), None),
    ),
    (
        "GET",
        f"{P}/pain",
        lambda w: (f"/api/v1/patients/{w.patient.id}/pain", w.staff(), None),
    ),
    ("GET", "/api/v1/flags", lambda w: ("/api/v1/flags", w.staff(), None)),
    (
        "GET",
        f"{P}/flags",
        lambda w: (f"/api/v1/patients/{w.patient.id}/flags", w.staff(), None),
    ),
    (
        "GET",
        "/api/v1/flags/{flag_id}",
        lambda w: (f"/api/v1/flags/{w.ids['flag']}", w.staff(), None),
    ),
    (
        "POST",
        "/api/v1/flags/{flag_id}/acknowledge",
        lambda w: (f"/api/v1/flags/{w.ids['flag']}/acknowledge", w.staff(), None),
    ),
    (
        "POST",
        "/api/v1/flags/{flag_id}/resolve",
        lambda w: (
            f"/api/v1/flags/{w.ids['flag']}/resolve",
            w.staff(),
            {"note": "called", "action": "contacted"},
        ),
    ),
    ("GET", "/api/v1/me/notifications", lambda w: ("/api/v1/me/notifications", w.me(), None)),
    (
        "POST",
        "/api/v1/me/notifications/{notification_id}/snooze",
        lambda w: (
            f"/api/v1/me/notifications/{w.ids['notification']}/snooze",
            w.me(),
            {"minutes": 10},
        ),
    ),
    (
        "POST",
        "/api/v1/me/notifications/{notification_id}/read",
        lambda w: (f"/api/v1/me/notifications/{w.ids['notification']}/read", w.me(), None),
    ),
    (
        "POST",
        "/api/v1/me/devices",
        lambda w: ("/api/v1/me/devices", w.me(), {"platform": "android", "token": "walk-t"}),
    ),
    (
        "DELETE",
        "/api/v1/me/devices/{device_id}",
        lambda w: (f"/api/v1/me/devices/{w.ids['device']}", w.me(), None),
    ),
    (
        "POST",
        "/api/v1/me/password",
        lambda w: (
            "/api/v1/me/password",
            w.me(),
            {"current_password": w.patient.password, "new_password": "another-long-passphrase"},
        ),
    ),
    (
        "POST",
        "/api/v1/programmes/{programme_id}/measures",
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/measures",
            w.staff(),
            {"measure": "NDI", "at_start": True, "every_weeks": 4},
        ),
    ),
    (
        "GET",
        "/api/v1/programmes/{programme_id}/measures",
        lambda w: (f"/api/v1/programmes/{w.programme.id}/measures", w.staff(), None),
    ),
    (
        "GET",
        MEASURE,
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/measures/{w.ids['measure_schedule']}",
            w.staff(),
            None,
        ),
    ),
    (
        "GET",
        "/api/v1/me/measures/due",
        lambda w: ("/api/v1/me/measures/due", w.me(), None),
    ),
    (
        "POST",
        "/api/v1/me/measure-responses",
        lambda w: (
            "/api/v1/me/measure-responses",
            w.me(),
            _record(measure="GROC", answers=[{"item": "overall_change", "value": 2}]),
        ),
    ),
    (
        "GET",
        f"{P}/measures",
        lambda w: (f"/api/v1/patients/{w.patient.id}/measures", w.staff(), None),
    ),
    # Data rights (issue 24): each export is one audited read of everything held.
    ("GET", "/api/v1/me/export", lambda w: ("/api/v1/me/export", w.me(), None)),
    (
        "GET",
        f"{P}/export",
        lambda w: (f"/api/v1/patients/{w.patient.id}/export?format=fhir", w.staff(), None),
    ),
    (
        "DELETE",
        MEASURE,
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/measures/{w.ids['measure_schedule']}",
            w.staff(),
            None,
        ),
    ),
    ("POST", "/api/v1/me/calendar-feed", lambda w: ("/api/v1/me/calendar-feed", w.me(), None)),
    (
        "GET",
        "/api/v1/calendar-feeds/{feed_token}.ics",
        lambda w: (w.ids["calendar_feed"], {}, None),
    ),
    ("DELETE", "/api/v1/me/calendar-feed", lambda w: ("/api/v1/me/calendar-feed", w.me(), None)),
    (
        "GET",
        f"{P}/report.pdf",
        lambda w: (f"/api/v1/patients/{w.patient.id}/report.pdf", w.staff(), None),
    ),
    (
        "POST",
        "/api/v1/programmes/{programme_id}/end",
        lambda w: (
            f"/api/v1/programmes/{w.programme.id}/end",
            w.staff(),
            {"reason": "discharged"},
        ),
    ),
    (
        "POST",
        f"{P}/programmes",
        lambda w: (
            f"/api/v1/patients/{w.patient.id}/programmes",
            w.staff(),
            {
                "items": [{"exercise_id": w.ids["exercise"]}],
                "schedule": {
                    "days": [1, 2, 3, 4, 5, 6, 7],
                    "slots": [{"slot": "am", "time": "08:00"}],
                },
                "start_date": (utcnow().date() + timedelta(days=3)).isoformat(),
            },
        ),
    ),
    (
        "POST",
        "/api/v1/patients",
        lambda w: (
            "/api/v1/patients",
            w.staff(),
            {
                "name": "New",
                "email": "new.walk@mail.example",
                "timezone": "Europe/Istanbul",
                "language": "en",
            },
        ),
    ),
    # Data rights (issue 24): consent, then erasure (of the patient the step above created).
    ("GET", "/api/v1/me/consents", lambda w: ("/api/v1/me/consents", w.me(), None)),
    ("POST", "/api/v1/me/consents", _consent_step),
    (
        "POST",
        "/api/v1/me/consents/withdraw",
        lambda w: ("/api/v1/me/consents/withdraw", w.me(), None),
    ),
    ("POST", "/api/v1/me/consents", _consent_step),  # consenting again restarts processing
    (
        "POST",
        "/api/v1/me/erasure-request",
        lambda w: ("/api/v1/me/erasure-request", w.me(), {"reason": "walk"}),
    ),
    (
        "GET",
        "/api/v1/clinic/erasure-requests",
        lambda w: ("/api/v1/clinic/erasure-requests", _admin(w), None),
    ),
    (
        "DELETE",
        P,
        lambda w: (f"/api/v1/patients/{w.ids['new_patient']}", _admin(w), {"reason": "walk"}),
    ),
]


def _spec_operations(client: FlaskClient) -> set[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    }


def _audit_ids() -> set[uuid.UUID]:
    return set(db.session.scalars(sa.select(trail().id)))


def _new_events(app: Flask, before: set[uuid.UUID]) -> list[AuditEvent]:
    """The trail's new events (a page read's wait in its page row until the scheduler spreads
    them, and are in the trail all along)."""
    with app.app_context():
        events = trail()
        return list(db.session.scalars(sa.select(events).where(events.id.not_in(before))))


def _remember(walk: Walk, method: str, spec_path: str, body: Any) -> None:
    """Hand ids the walk created to the steps that need them."""
    if (method, spec_path) == ("POST", "/api/v1/me/symptom-checks"):
        flags = walk.client.get("/api/v1/flags", headers=walk.staff()).json["items"]
        walk.ids["flag"] = next(f["id"] for f in flags if f["patient_id"] == str(walk.patient.id))
    if (method, spec_path) == ("POST", "/api/v1/me/devices"):
        walk.ids["device"] = body["id"]
    if (method, spec_path) == ("POST", "/api/v1/programmes/{programme_id}/measures"):
        walk.ids["measure_schedule"] = body["id"]
    if (method, spec_path) == ("POST", "/api/v1/me/calendar-feed"):
        walk.ids["calendar_feed"] = body["url"].removeprefix("http://localhost")
    if (method, spec_path) == ("POST", "/api/v1/patients"):
        walk.ids["new_patient"] = body["id"]


def test_every_patient_data_operation_leaves_an_audit_row_naming_the_patient(
    app: Flask,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
    make_programme: Callable[..., ProgrammeHandle],
    make_exercise: Callable[..., uuid.UUID],
    measure_library: dict[str, int],
) -> None:
    walked = {(method, path) for method, path, _ in STEPS}
    unclassified = _spec_operations(client) - walked - set(NOT_PATIENT_DATA)
    assert not unclassified, f"add these to the walk or to NOT_PATIENT_DATA: {unclassified}"

    patient = make_patient()
    with app.app_context():
        from server.accounts.models import User

        therapist_email = db.session.get_one(User, patient.therapist_id).email
    tokens = client.post(
        "/api/v1/auth/login", json={"email": therapist_email, "password": patient.password}
    ).json
    from dataclasses import replace

    therapist = replace(
        patient, id=patient.therapist_id, role="therapist", access_token=tokens["access_token"]
    )
    programme = make_programme(patient, start_date=utcnow().date() - timedelta(days=3))
    walk = Walk(app, client, patient, therapist, programme, {"exercise": str(make_exercise())})
    walk.ids["notification"] = _add_notification(walk)

    missing = []
    for method, spec_path, build in STEPS:
        path, headers, body = build(walk)
        with app.app_context():
            before = _audit_ids()
        response = client.open(path, method=method, json=body, headers=headers)
        answer = response.get_json(silent=True)
        assert response.status_code < 300, (method, path, response.status_code, answer)
        _remember(walk, method, spec_path, answer)
        named = {e.patient_id for e in _new_events(app, before)}
        if (method, spec_path) in (("POST", "/api/v1/patients"), ("DELETE", P)):
            named.discard(None)
            if named != {uuid.UUID(walk.ids["new_patient"])}:
                missing.append(f"{method} {spec_path}")
        elif patient.id not in named:
            missing.append(f"{method} {spec_path}")
    assert not missing, f"no audit row naming the patient: {missing}"


def test_the_flag_queue_writes_one_row_per_patient_shown(
    app: Flask,
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    therapist = make_staff()
    patients = [make_patient(therapist), make_patient(therapist)]
    for patient in patients:
        answer = client.post(
            "/api/v1/me/symptom-checks",
            json=_record(answers={"thunderclap": True}),
            headers=patient.headers,
        )
        assert answer.status_code == 201
    with app.app_context():
        before = _audit_ids()
    page = client.get("/api/v1/flags", headers=therapist.headers)
    assert page.status_code == 200
    shown = {uuid.UUID(f["patient_id"]) for f in page.json["items"]}
    assert shown == {p.id for p in patients}
    rows = [e for e in _new_events(app, before) if e.action == "flag.list"]
    assert sorted(str(e.patient_id) for e in rows) == sorted(str(p) for p in shown)
    admin = make_staff(ClinicHandle(therapist.clinic_id, "same clinic"), role="clinic_admin")
    audit = client.get(f"/api/v1/audit?patient_id={patients[0].id}", headers=admin.headers)
    assert audit.status_code == 200
    readers = {
        (e["action"], e["actor_id"]) for e in audit.json["items"] if e["action"] == "flag.list"
    }
    assert readers == {("flag.list", str(therapist.id))}
