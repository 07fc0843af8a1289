"""The review queue API: ordering, paging, filters, the lifecycle and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"


@pytest.fixture
def team(make_staff, make_patient):
    therapist = make_staff()
    return therapist, make_patient(therapist), make_patient(therapist)


def test_queue_is_most_severe_first_then_oldest_first(client, team, make_flag):
    therapist, ann, bob = team
    ids = {
        "info": make_flag(ann, "progression_ready", opened_at=T0),
        "low": make_flag(bob, "non_adherence", opened_at=T0 + timedelta(hours=1)),
        "high_new": make_flag(ann, "worsening", opened_at=T0 + timedelta(hours=5)),
        "high_old": make_flag(bob, "high_pain", opened_at=T0 + timedelta(hours=2)),
        "urgent": make_flag(bob, "red_flag", opened_at=T0 + timedelta(hours=9)),
        "normal": make_flag(ann, "flare_up", opened_at=T0 + timedelta(hours=3)),
    }
    make_flag(ann, "high_pain", status="resolved", opened_at=T0)
    response = client.get("/api/v1/flags", headers=therapist.headers)
    assert response.status_code == 200
    order = ["urgent", "high_old", "high_new", "normal", "low", "info"]
    assert [item["id"] for item in response.json["items"]] == [str(ids[k]) for k in order]
    assert [item["severity"] for item in response.json["items"]] == [
        "urgent",
        "high",
        "high",
        "normal",
        "low",
        "info",
    ]
    assert "evidence" not in response.json["items"][0]
    assert response.json["next_cursor"] is None


def test_queue_pages_with_a_cursor_and_filters(client, team, make_flag):
    therapist, ann, bob = team
    for hours, (patient, flag_type) in enumerate(
        [(ann, "high_pain"), (bob, "high_pain"), (ann, "flare_up"), (bob, "worsening")]
    ):
        make_flag(patient, flag_type, opened_at=T0 + timedelta(hours=hours))
    seen, cursor = [], None
    while True:
        query = f"/api/v1/flags?limit=1{'&cursor=' + cursor if cursor else ''}"
        page = client.get(query, headers=therapist.headers).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    high = client.get("/api/v1/flags?severity=high,urgent", headers=therapist.headers).json
    assert {i["type"] for i in high["items"]} == {"high_pain", "worsening"}
    mine = client.get(f"/api/v1/flags?patient_id={ann.id}", headers=therapist.headers).json
    assert {i["patient_id"] for i in mine["items"]} == {str(ann.id)}
    bad = client.get("/api/v1/flags?status=closed", headers=therapist.headers)
    assert bad.status_code == 422
    assert bad.content_type == PROBLEM
    assert "status" in bad.json["errors"]
    garbage = client.get("/api/v1/flags?cursor=nonsense", headers=therapist.headers)
    assert garbage.status_code == 422


def test_flag_detail_has_evidence_and_the_action_in_the_therapists_language(
    client, make_staff, make_patient, make_flag
):
    therapist = make_staff(language="tr")
    patient = make_patient(therapist)
    flag_id = make_flag(patient, "high_pain", opened_at=T0)
    response = client.get(f"/api/v1/flags/{flag_id}", headers=therapist.headers)
    assert response.status_code == 200
    body = response.json
    assert body["evidence"][0]["rule"] == "high_pain.test"
    assert body["evidence"][0]["thresholds"] == {"high_pain": 8.0}
    assert body["suggested_action"]["code"] == "contact_patient"
    assert body["suggested_action"]["text"].startswith("Belirtileri")


def test_acknowledge_then_resolve_with_note_and_action(client, app, team, make_flag):
    therapist, ann, _ = team
    flag_id = make_flag(ann, "worsening", opened_at=T0)
    url = f"/api/v1/flags/{flag_id}"
    acknowledged = client.post(f"{url}/acknowledge", headers=therapist.headers)
    assert acknowledged.status_code == 200
    assert acknowledged.json["status"] == "acknowledged"
    assert acknowledged.json["acknowledged_by"] == str(therapist.id)
    again = client.post(f"{url}/acknowledge", headers=therapist.headers)
    assert again.status_code == 409
    assert again.content_type == PROBLEM
    resolved = client.post(
        f"{url}/resolve",
        json={"note": "Regressed chin tucks one level.", "action": "regressed"},
        headers=therapist.headers,
    )
    assert resolved.status_code == 200
    assert (resolved.json["status"], resolved.json["resolution_action"]) == (
        "resolved",
        "regressed",
    )
    assert resolved.json["resolved_by"] == str(therapist.id)
    twice = client.post(
        f"{url}/resolve", json={"note": "again", "action": "none"}, headers=therapist.headers
    )
    assert twice.status_code == 409
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == str(flag_id))
        ).all()
    assert {"flag.acknowledged", "flag.resolved"} <= set(actions)


def test_an_open_flag_can_be_resolved_directly_but_not_an_auto_resolved_one(
    client, team, make_flag
):
    therapist, ann, bob = team
    open_id = make_flag(ann, "high_pain", opened_at=T0)
    body = {"note": "Called the patient.", "action": "contacted"}
    response = client.post(f"/api/v1/flags/{open_id}/resolve", json=body, headers=therapist.headers)
    assert response.status_code == 200
    closed_id = make_flag(bob, "flare_up", status="auto_resolved", opened_at=T0)
    for action in ("acknowledge", "resolve"):
        response = client.post(
            f"/api/v1/flags/{closed_id}/{action}", json=body, headers=therapist.headers
        )
        assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"note": "x", "action": "cured"},
        {"action": "none"},
        {"note": "", "action": "none"},
        {"note": "x", "action": "none", "extra": 1},
    ],
)
def test_resolve_rejects_bad_bodies(client, team, make_flag, body):
    therapist, ann, _ = team
    flag_id = make_flag(ann, "high_pain", opened_at=T0)
    response = client.post(f"/api/v1/flags/{flag_id}/resolve", json=body, headers=therapist.headers)
    assert response.status_code == 422
    assert response.content_type == PROBLEM


def test_other_clinics_and_patients_see_nothing(client, team, make_staff, make_flag):
    _, ann, _ = team
    flag_id = make_flag(ann, "high_pain", opened_at=T0)
    stranger = make_staff()
    assert client.get("/api/v1/flags", headers=stranger.headers).json["items"] == []
    for method, path in (
        ("get", f"/api/v1/flags/{flag_id}"),
        ("post", f"/api/v1/flags/{flag_id}/acknowledge"),
        ("get", f"/api/v1/patients/{ann.id}/flags"),
    ):
        assert getattr(client, method)(path, headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/flags", headers=ann.headers).status_code == 403
    assert client.get("/api/v1/flags").status_code == 401


def test_patient_flag_history_shows_every_status_newest_first(client, app, team, make_flag):
    therapist, ann, bob = team
    old = make_flag(ann, "flare_up", status="auto_resolved", opened_at=T0)
    new = make_flag(ann, "high_pain", status="resolved", opened_at=T0 + timedelta(days=1))
    make_flag(bob, "worsening", opened_at=T0)
    response = client.get(f"/api/v1/patients/{ann.id}/flags", headers=therapist.headers)
    assert response.status_code == 200
    assert [i["id"] for i in response.json["items"]] == [str(new), str(old)]
    with app.app_context():
        reads = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "flag.history_read", AuditEvent.patient_id == ann.id)
        )
    assert reads == 1


def test_cli_sweeps_as_of_an_instant(app, engine):
    from tests.flags.conftest import day, pain

    patient = engine()
    patient.ingest([pain(0, 3)], patient.at(0, 20))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["flags", "sweep", "--at", patient.at(5, 1).isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 patients evaluated" in result.output
    assert patient.one("non_adherence")["episode_start"] == day(3)
    bad = runner.invoke(args=["flags", "sweep", "--at", "yesterday"])
    assert bad.exit_code != 0


def _statements_of(app, request) -> int:
    """How many SQL statements ``request()`` sends."""
    sent = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(sent)


def test_queue_items_carry_the_patients_name_without_a_query_per_row(
    client, app, make_staff, make_patient, make_flag
):
    therapist = make_staff()
    patients = [make_patient(therapist, name=f"Queue Patient {n}") for n in range(4)]
    make_flag(patients[0], "high_pain", opened_at=T0)

    def queue():
        response = client.get("/api/v1/flags", headers=therapist.headers)
        assert response.status_code == 200
        return response.json["items"]

    one = _statements_of(app, queue)
    for n, patient in enumerate(patients[1:], start=1):
        make_flag(patient, "worsening", opened_at=T0 + timedelta(hours=n))
    four = _statements_of(app, queue)

    assert {item["patient_name"] for item in queue()} == {f"Queue Patient {n}" for n in range(4)}
    assert {item["patient_id"]: item["patient_name"] for item in queue()} == {
        str(p.id): f"Queue Patient {n}" for n, p in enumerate(patients)
    }
    assert four == one


def test_a_single_flag_and_the_history_carry_the_name_too(client, team, make_flag):
    therapist, ann, _ = team
    flag_id = make_flag(ann, "high_pain", opened_at=T0)

    detail = client.get(f"/api/v1/flags/{flag_id}", headers=therapist.headers).json
    history = client.get(f"/api/v1/patients/{ann.id}/flags", headers=therapist.headers).json

    assert detail["patient_name"] == history["items"][0]["patient_name"]
    assert detail["patient_name"].startswith("Patient ")
