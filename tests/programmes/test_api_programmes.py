"""Programmes through the API: create, revise (409 when stale), intensity (422 at ladder ends),
history, one active programme per patient, and clinic isolation."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.audit.models import AuditEvent
from server.extensions import db
from tests.programmes.conftest import today_in

SCHEDULE = {"days": [1, 2, 3, 4, 5], "slots": [{"slot": "noon", "time": "12:30"}]}


def _post(client: FlaskClient, path: str, who: Any, body: dict[str, Any]):
    return client.post(f"/api/v1{path}", json=body, headers=who.headers)


def test_create_from_the_template_gives_revision_1(
    app: Flask, client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    body = create_programme(therapist, patient, baseline_pain=4)
    assert body["template_slug"] == "cervicogenic-headache-basic"
    assert body["current_revision"] == 1
    assert body["baseline_pain"] == 4
    assert body["end_date"] is None
    revision = body["revision"]
    assert (revision["number"], revision["kind"], revision["reason"]) == (
        1,
        "initial",
        "Initial programme",
    )
    assert revision["author_id"] == str(therapist.id)
    assert revision["posture_breaks"] == {
        "enabled": True,
        "interval_minutes": 40,
        "routine": "posture-break-routine",
    }
    ccf = next(i for i in revision["items"] if i["exercise_slug"] == "cranio-cervical-flexion")
    assert ccf["level"] == 1
    assert ccf["dosage"]["target"] == {"kind": "pressure", "value": 22.0, "unit": "mmHg"}
    assert ccf["slots"] == ["morning", "evening"]
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
        ).all()
    assert "programme.create" in actions


def test_create_from_explicit_items(client: FlaskClient, library, make_staff, make_patient):
    therapist = make_staff()
    patient = make_patient(therapist)
    body = {
        "start_date": today_in("Europe/Istanbul").isoformat(),
        "items": [
            {"exercise": "sit-to-stand", "level": 2, "dosage_override": {"reps": 6}},
            {"exercise": "quadriceps-setting"},
        ],
        "schedule": SCHEDULE,
        "posture_breaks": {"enabled": True, "interval_minutes": 30},
        "reason": "Knee programme",
    }
    response = _post(client, f"/patients/{patient.id}/programmes", therapist, body)
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"/api/v1/programmes/{response.json['id']}"
    revision = response.json["revision"]
    assert response.json["template_slug"] is None
    assert revision["schedule"] == SCHEDULE
    assert revision["posture_breaks"] == {"enabled": True, "interval_minutes": 30, "routine": None}
    sit = revision["items"][0]
    assert (sit["level"], sit["dosage"]["sets"], sit["dosage"]["reps"]) == (2, 2, 6)


def test_invalid_programmes_get_field_errors(
    client: FlaskClient, library, make_staff, make_patient
):
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul").isoformat()
    item = {"exercise": "chin-tuck-sitting"}
    cases = [
        ({"template": "no-such-template", "start_date": today}, "template"),
        ({"items": [item], "start_date": today}, "schedule"),
        ({"start_date": today, "schedule": SCHEDULE}, "template"),
        (
            {"items": [{"exercise": "nope"}], "schedule": SCHEDULE, "start_date": today},
            "items.0.exercise",
        ),
        (
            {
                "items": [{"exercise": "chin-tuck-sitting", "level": 5}],
                "schedule": SCHEDULE,
                "start_date": today,
            },
            "items.0.level",
        ),
        (
            {"items": [{**item, "slots": ["evening"]}], "schedule": SCHEDULE, "start_date": today},
            "items.0.slots",
        ),
        (
            {
                "template": "cervicogenic-headache-basic",
                "start_date": today,
                "posture_breaks": {"enabled": True, "interval_minutes": 50},
            },
            "posture_breaks",
        ),
        (
            {"template": "cervicogenic-headache-basic", "start_date": today, "baseline_pain": 11},
            "baseline_pain",
        ),
        (
            {"template": "cervicogenic-headache-basic", "start_date": today, "colour": "red"},
            "colour",
        ),
        ({"template": "cervicogenic-headache-basic"}, "start_date"),
    ]
    for body, field in cases:
        response = _post(client, f"/patients/{patient.id}/programmes", therapist, body)
        assert response.status_code == 422, (body, response.json)
        assert any(k.startswith(field) for k in response.json["errors"]), (field, response.json)


def test_revise_keeps_item_ids_and_a_stale_base_gets_409(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    programme = create_programme(therapist, patient)
    items = programme["revision"]["items"]
    kept = [
        {
            "item_id": i["item_id"],
            "exercise_id": i["exercise_id"],
            "level": i["level"],
            "slots": i["slots"],
        }
        for i in items[:3]
    ]
    body = {
        "base_revision": 1,
        "items": [*kept, {"exercise": "thoracic-extension", "level": 2}],
        "reason": "Fewer exercises while the headache settles",
    }
    path = f"/programmes/{programme['id']}/revisions"
    response = _post(client, path, therapist, body)
    assert response.status_code == 201, response.json
    revision = response.json["revision"]
    assert (revision["number"], revision["kind"]) == (2, "revision")
    assert [i["item_id"] for i in revision["items"][:3]] == [i["item_id"] for i in items[:3]]
    assert revision["items"][3]["item_id"] not in {i["item_id"] for i in items}
    assert revision["schedule"] == programme["revision"]["schedule"]

    stale = _post(client, path, therapist, body)
    assert stale.status_code == 409
    assert stale.content_type == "application/problem+json"
    assert stale.json["current_revision"] == 2

    foreign = {**body, "base_revision": 2, "items": [{**kept[0], "item_id": str(patient.id)}]}
    response = _post(client, path, therapist, foreign)
    assert response.status_code == 422
    assert "items.0.item_id" in response.json["errors"]


def test_concurrent_revisions_never_both_succeed(
    app: Flask, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    programme = create_programme(therapist, patient)
    writers = 4
    barrier = threading.Barrier(writers)
    statuses: list[int] = []

    def write(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/programmes/{programme['id']}/revisions",
            json={
                "base_revision": 1,
                "reason": f"writer {n}",
                "schedule": SCHEDULE,
                "items": [{"exercise": "chin-tuck-sitting"}],
            },
            headers=therapist.headers,
        )
        statuses.append(response.status_code)
        if response.status_code == 409:
            assert response.json["current_revision"] == 2

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (writers - 1)
    history = app.test_client().get(
        f"/api/v1/programmes/{programme['id']}/revisions", headers=therapist.headers
    )
    assert [r["number"] for r in history.json["items"]] == [1, 2]


def test_intensity_moves_every_item_or_none(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    programme = create_programme(therapist, patient)
    path = f"/programmes/{programme['id']}/intensity"
    ids = [i["item_id"] for i in programme["revision"]["items"]]

    regress = _post(
        client, path, therapist, {"base_revision": 1, "direction": "regress", "reason": "Flare-up"}
    )
    assert regress.status_code == 422
    assert set(regress.json["errors"]) == {f"items.{i}" for i in ids}
    assert "bottom" in regress.json["errors"][f"items.{ids[0]}"][0]

    progress = _post(
        client,
        path,
        therapist,
        {"base_revision": 1, "direction": "progress", "reason": "Two settled weeks"},
    )
    assert progress.status_code == 201, progress.json
    assert progress.headers["Location"] == f"/api/v1/programmes/{progress.json['id']}"
    revision = progress.json["revision"]
    assert (revision["number"], revision["kind"], revision["reason"]) == (
        2,
        "progress",
        "Two settled weeks",
    )
    assert [i["item_id"] for i in revision["items"]] == ids
    assert {i["level"] for i in revision["items"]} == {2}
    ccf = next(i for i in revision["items"] if i["exercise_slug"] == "cranio-cervical-flexion")
    assert ccf["dosage"]["target"]["value"] == 24

    one = _post(
        client,
        path,
        therapist,
        {
            "base_revision": 2,
            "direction": "regress",
            "item_ids": [ccf["item_id"]],
            "reason": "Too hard",
        },
    )
    assert one.status_code == 201
    levels = {i["item_id"]: i["level"] for i in one.json["revision"]["items"]}
    assert levels[ccf["item_id"]] == 1
    assert sum(level == 2 for level in levels.values()) == len(ids) - 1

    stale = _post(
        client, path, therapist, {"base_revision": 2, "direction": "progress", "reason": "x"}
    )
    assert (stale.status_code, stale.json["current_revision"]) == (409, 3)
    unknown = _post(
        client,
        path,
        therapist,
        {"base_revision": 3, "direction": "progress", "item_ids": [str(patient.id)], "reason": "x"},
    )
    assert unknown.status_code == 422
    assert "item_ids" in unknown.json["errors"]


def test_progressing_past_the_top_of_a_ladder_is_422(
    client: FlaskClient, library, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    body = {
        "start_date": today_in("Europe/Istanbul").isoformat(),
        "items": [
            {"exercise": "cranio-cervical-flexion", "level": 5},
            {"exercise": "chin-tuck-sitting", "level": 1},
        ],
        "schedule": SCHEDULE,
    }
    created = _post(client, f"/patients/{patient.id}/programmes", therapist, body).json
    top, low = (i["item_id"] for i in created["revision"]["items"])
    path = f"/programmes/{created['id']}/intensity"
    response = _post(
        client, path, therapist, {"base_revision": 1, "direction": "progress", "reason": "x"}
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == [f"items.{top}"]
    assert "level 5 of 5" in response.json["errors"][f"items.{top}"][0]
    ok = _post(
        client,
        path,
        therapist,
        {"base_revision": 1, "direction": "progress", "item_ids": [low], "reason": "x"},
    )
    assert ok.status_code == 201


def test_history_lists_every_revision_with_author_reason_and_time(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    programme = create_programme(therapist, patient)
    path = f"/programmes/{programme['id']}/intensity"
    for base, direction in ((1, "progress"), (2, "progress"), (3, "regress")):
        body = {"base_revision": base, "direction": direction, "reason": f"step {base}"}
        assert _post(client, path, therapist, body).status_code == 201
    history = client.get(
        f"/api/v1/programmes/{programme['id']}/revisions?limit=2", headers=therapist.headers
    ).json
    rest = client.get(
        f"/api/v1/programmes/{programme['id']}/revisions",
        query_string={"cursor": history["next_cursor"]},
        headers=therapist.headers,
    ).json
    revisions = history["items"] + rest["items"]
    assert [(r["number"], r["kind"]) for r in revisions] == [
        (1, "initial"),
        (2, "progress"),
        (3, "progress"),
        (4, "regress"),
    ]
    assert all(r["author_id"] == str(therapist.id) and r["effective_at"] for r in revisions)
    current = client.get(f"/api/v1/programmes/{programme['id']}", headers=therapist.headers)
    assert current.json["current_revision"] == 4
    assert current.json["revision"]["number"] == 4


def test_a_new_programme_ends_the_active_one(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    first = create_programme(
        therapist, patient, start_date=(today - timedelta(days=10)).isoformat()
    )
    backdated = _post(
        client,
        f"/patients/{patient.id}/programmes",
        therapist,
        {
            "template": "knee-osteoarthritis-basic",
            "start_date": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert backdated.status_code == 422
    assert "start_date" in backdated.json["errors"]
    second = create_programme(
        therapist, patient, template="knee-osteoarthritis-basic", start_date=today.isoformat()
    )
    listing = client.get(f"/api/v1/patients/{patient.id}/programmes", headers=therapist.headers)
    by_id = {p["id"]: p for p in listing.json["items"]}
    assert [p["id"] for p in listing.json["items"]] == [second["id"], first["id"]]
    assert by_id[first["id"]]["end_date"] == (today - timedelta(days=1)).isoformat()
    assert by_id[second["id"]]["end_date"] is None
    revise = _post(
        client,
        f"/programmes/{first['id']}/intensity",
        therapist,
        {"base_revision": 1, "direction": "progress", "reason": "x"},
    )
    assert revise.status_code == 409


def test_programmes_never_cross_clinics_or_reach_patients(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist, outsider = make_staff(), make_staff()
    patient = make_patient(therapist)
    programme = create_programme(therapist, patient)
    pid = programme["id"]
    assert client.get(f"/api/v1/programmes/{pid}", headers=outsider.headers).status_code == 404
    assert (
        client.get(f"/api/v1/programmes/{pid}/revisions", headers=outsider.headers).status_code
        == 404
    )
    body = {"base_revision": 1, "direction": "progress", "reason": "x"}
    assert _post(client, f"/programmes/{pid}/intensity", outsider, body).status_code == 404
    assert (
        _post(
            client, f"/programmes/{pid}/revisions", outsider, {"base_revision": 1, "reason": "x"}
        ).status_code
        == 404
    )
    create = {"template": "cervicogenic-headache-basic", "start_date": "2030-01-01"}
    assert _post(client, f"/patients/{patient.id}/programmes", outsider, create).status_code == 404
    listing = client.get(f"/api/v1/patients/{patient.id}/programmes", headers=outsider.headers)
    assert listing.status_code == 404
    assert client.get(f"/api/v1/programmes/{pid}", headers=patient.headers).status_code == 403
    assert _post(client, f"/programmes/{pid}/intensity", patient, body).status_code == 403


def test_concurrent_creates_leave_exactly_one_active_programme(
    app: Flask, library, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    barrier = threading.Barrier(3)
    statuses: list[int] = []
    body = {
        "template": "cervicogenic-headache-basic",
        "start_date": today_in("Europe/Istanbul").isoformat(),
    }

    def create() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/patients/{patient.id}/programmes", json=body, headers=therapist.headers
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=create) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Serialized writers replace one another (201); racing inserts lose on the unique index (409).
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    listing = app.test_client().get(
        f"/api/v1/patients/{patient.id}/programmes", headers=therapist.headers
    )
    active = [p for p in listing.json["items"] if p["end_date"] is None]
    assert len(active) == 1
    assert len(listing.json["items"]) == statuses.count(201)


def _end(client: FlaskClient, who: Any, programme: dict[str, Any], **body: Any):
    body.setdefault("reason", "Discharged: goals met")
    return _post(client, f"/programmes/{programme['id']}/end", who, body)


def _sessions_on(client: FlaskClient, patient: Any, day) -> list[dict[str, Any]]:
    plan = client.get(f"/api/v1/me/plan?date={day.isoformat()}", headers=patient.headers)
    assert plan.status_code == 200, plan.json
    return plan.json["sessions"]


def test_a_therapist_ends_a_programme_and_its_reminders_stop(
    app: Flask, client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from server.reminders.jobs import dispatch_tick
    from server.reminders.models import Notification
    from tests.reminders.conftest import RecordingProvider

    therapist = make_staff()
    discharged, continuing = make_patient(therapist), make_patient(therapist)
    programme = create_programme(therapist, discharged)
    create_programme(therapist, continuing)
    today = today_in("Europe/Istanbul")

    response = _end(client, therapist, programme)

    assert response.status_code == 200, response.json
    assert response.json["end_date"] == today.isoformat()
    assert response.json["end_reason"] == "Discharged: goals met"
    assert _sessions_on(client, discharged, today)  # today's sessions still stand
    assert _sessions_on(client, discharged, today + timedelta(days=1)) == []
    # Tomorrow's 08:00 reminders go to the continuing patient only.
    tomorrow = today + timedelta(days=1)
    at = datetime.combine(tomorrow, time(8, 5), ZoneInfo("Europe/Istanbul")).astimezone(UTC)
    with app.app_context():
        dispatch_tick(at, provider=RecordingProvider())
        reminded = db.session.scalars(
            sa.select(Notification.patient_id).where(Notification.local_date == tomorrow)
        ).all()
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.patient_id == discharged.id)
        ).all()
    assert set(reminded) == {continuing.id}
    assert "programme.end" in actions
    # Ended is final: no new revision, no second end.
    revise = {"base_revision": 1, "reason": "more", "schedule": SCHEDULE}
    revised = _post(client, f"/programmes/{programme['id']}/revisions", therapist, revise)
    assert revised.status_code == 409
    assert _end(client, therapist, programme).status_code == 409


def test_programmes_never_overlap_an_ended_one(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    ended = create_programme(therapist, patient)
    assert _end(client, therapist, ended).json["end_date"] == today.isoformat()
    assert _end(client, therapist, ended).status_code == 409

    def start(day) -> Any:
        body = {"template": "cervicogenic-headache-basic", "start_date": day.isoformat()}
        return _post(client, f"/patients/{patient.id}/programmes", therapist, body)

    refused = start(today)
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["start_date"]
    assert start(today + timedelta(days=1)).status_code == 201
    # Replacing that active one may not reach back into the ended one either.
    assert start(today).status_code == 422


def test_a_programme_ended_before_it_started_never_applied(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    planned = create_programme(therapist, patient, start_date=(today + timedelta(5)).isoformat())
    assert _end(client, therapist, planned).status_code == 200

    body = {"template": "cervicogenic-headache-basic", "start_date": today.isoformat()}
    assert _post(client, f"/patients/{patient.id}/programmes", therapist, body).status_code == 201


def test_a_programme_with_a_replacement_pending_can_still_be_ended_today(
    client: FlaskClient, create_programme, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    today = today_in("Europe/Istanbul")
    running = create_programme(therapist, patient)
    pending = create_programme(therapist, patient, start_date=(today + timedelta(30)).isoformat())
    assert _sessions_on(client, patient, today + timedelta(days=10))  # still running then

    ended = _end(client, therapist, running)

    assert ended.status_code == 200, ended.json
    assert ended.json["end_date"] == today.isoformat()
    assert _sessions_on(client, patient, today + timedelta(days=10)) == []
    assert _end(client, therapist, pending).status_code == 200  # and the next one, if wanted
