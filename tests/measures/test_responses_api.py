"""Answering measures through the API: scored at once against the patient's baseline,
idempotent and time-bounded like every record, audited, and read back by the therapist as each
measure's series (issue 23's acceptance: NDI 24 then 14 is a 10-point improvement)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.extensions import db
from tests.measures.conftest import (
    NDI_14,
    NDI_24,
    hit6_answers,
    ndi_answers,
    response_body,
)

PROBLEM = "application/problem+json"


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def test_ndi_24_then_14_four_weeks_later_is_a_10_point_improvement_the_series_shows(
    client, respond, patient, therapist
) -> None:
    baseline = respond(response_body("NDI", ndi_answers(NDI_24), recorded_at=_ago(days=28)))
    assert baseline.status_code == 201, baseline.json
    assert baseline.json["score"] == 24.0
    assert baseline.json["score_percent"] == 48.0
    assert baseline.json["band"] == "moderate"
    assert (baseline.json["change"], baseline.json["interpretation"]) == (None, None)
    assert baseline.json["baseline_id"] == baseline.json["id"]

    later = respond(response_body("NDI", ndi_answers(NDI_14)))
    assert later.status_code == 201, later.json
    assert (later.json["score"], later.json["band"]) == (14.0, "mild")
    assert later.json["baseline_score"] == 24.0
    assert later.json["change"] == 10.0
    assert later.json["interpretation"] == "improved"
    assert later.json["mcid"] == 7.5

    series = client.get(f"/api/v1/patients/{patient.id}/measures", headers=therapist.headers)
    assert series.status_code == 200
    (ndi,) = series.json["items"]
    assert ndi["measure"] == "NDI"
    assert ndi["direction"] == "lower_is_better"
    assert ndi["mcid"]["value"] == 7.5
    assert "Young" in ndi["mcid"]["citation"]
    assert ndi["mdc"]["value"] == 10.2
    assert [(r["score"], r["change"], r["interpretation"]) for r in ndi["responses"]] == [
        (24.0, None, None),
        (14.0, 10.0, "improved"),
    ]
    assert ndi["responses"][1] == later.json


def test_one_unanswered_ndi_item_is_scored_from_45_two_are_refused_in_either_language(
    respond,
) -> None:
    one_missing = ndi_answers((*NDI_24[:7], None, *NDI_24[8:]))  # no driving: 22 of 45
    scored = respond(response_body("NDI", one_missing))
    assert scored.status_code == 201
    assert (scored.json["score"], scored.json["prorated"]) == (24.4, True)

    two_missing = ndi_answers((*NDI_24[:7], None, None, NDI_24[9]))
    for language, detail, message in [
        (
            "en",
            "The answers cannot be scored.",
            "Unanswered items: driving, sleeping (2); at most 1 may be left unanswered, so this "
            "response cannot be scored.",
        ),
        (
            "tr",
            "Yanıtlar puanlanamıyor.",
            "Yanıtsız maddeler: driving, sleeping (2); en çok 1 madde yanıtsız bırakılabilir, bu "
            "yüzden bu yanıt puanlanamaz.",
        ),
    ]:
        refused = respond(response_body("NDI", two_missing), **{"Accept-Language": language})
        assert refused.status_code == 422
        assert refused.content_type == PROBLEM
        assert refused.json["detail"] == detail
        assert refused.json["errors"] == {"answers": [message]}


def test_an_answer_outside_the_options_is_refused_naming_it(respond) -> None:
    answers = hit6_answers((3, 3, 3, 3, 3, 3))
    answers[2]["value"] = 10
    refused = respond(response_body("HIT-6", answers), **{"Accept-Language": "tr"})
    assert refused.status_code == 422
    assert refused.json["errors"] == {
        "answers": ["2.value: Bu maddenin yanıtlarından biri değil: 1, 2, 3, 4, 5."]
    }


def test_a_replay_answers_200_with_the_same_body_and_another_body_is_409(respond) -> None:
    body = response_body("HIT-6", hit6_answers((3, 3, 3, 3, 3, 3)))
    first = respond(body)
    replay = respond(body)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json == first.json

    changed = {**body, "answers": hit6_answers((2, 3, 3, 3, 3, 3))}
    conflict = respond(changed)
    assert conflict.status_code == 409
    assert conflict.json["id"] == body["id"]


def test_an_id_another_record_holds_is_409(client, respond, patient) -> None:
    pain = {"id": str(uuid.uuid4()), "recorded_at": _ago(minutes=2).isoformat()}
    pain |= {"score": 3, "context": "now"}
    assert client.post("/api/v1/me/pain-ratings", json=pain, headers=patient.headers).status_code
    taken = response_body("GROC", [{"item": "overall_change", "value": 2}], id=pain["id"])
    assert respond(taken).status_code == 409


def test_another_patients_id_is_409_and_reveals_nothing(respond, make_patient, therapist) -> None:
    body = response_body("GROC", [{"item": "overall_change", "value": 4}])
    assert respond(body).status_code == 201
    other = respond(body, who=make_patient(therapist))
    assert other.status_code == 409
    assert "score" not in other.json


def test_time_bounds_are_those_of_every_record(respond) -> None:
    answers = [{"item": "overall_change", "value": 1}]
    late = respond(response_body("GROC", answers, recorded_at=_ago(days=61)))
    early = respond(response_body("GROC", answers, recorded_at=_ago(minutes=-10)))
    assert late.status_code == early.status_code == 422
    assert late.json["errors"] == {"recorded_at": ["Must not be more than 60 days in the past."]}
    assert early.json["errors"] == {
        "recorded_at": ["Must not be more than 5 minutes in the future."]
    }


def test_an_unknown_measure_and_bad_shapes_are_422(respond) -> None:
    unknown = respond(response_body("ODI", [{"item": "pain", "value": 1}]))
    assert unknown.status_code == 422
    assert unknown.json["errors"] == {"measure": ["Unknown measure."]}
    assert respond(response_body("ndi", [{"item": "x", "value": 1}])).status_code == 422
    assert respond(response_body("NDI", [])).status_code == 422
    fractional = respond(response_body("GROC", [{"item": "overall_change", "value": 2.5}]))
    assert fractional.status_code == 422


def test_groc_is_interpreted_by_itself_and_psfs_keeps_the_baselines_activities(respond) -> None:
    groc = respond(response_body("GROC", [{"item": "overall_change", "value": 3}]))
    assert groc.status_code == 201
    assert (groc.json["change"], groc.json["interpretation"]) == (None, "improved")
    assert groc.json["baseline_id"] is None

    named = [
        {"item": "activity_1", "value": 3, "activity": "Reversing the car"},
        {"item": "activity_2", "value": 4, "activity": "Reading in bed"},
        {"item": "activity_3", "value": 4, "activity": "Hanging out washing"},
    ]
    first = respond(response_body("PSFS", named, recorded_at=_ago(days=14)))
    assert first.status_code == 201
    assert first.json["score"] == 3.7
    rated = [{"item": a["item"], "value": 6} for a in named]
    again = respond(response_body("PSFS", rated))
    assert again.status_code == 201
    assert (again.json["score"], again.json["change"]) == (6.0, 2.3)
    assert again.json["interpretation"] == "improved"
    assert [a["activity"] for a in again.json["answers"]] == [a["activity"] for a in named]
    other = [*rated[:2], {"item": "activity_4", "value": 6, "activity": "Swimming"}]
    refused = respond(response_body("PSFS", other))
    assert refused.status_code == 422
    assert "Not an activity named at baseline" in refused.json["errors"]["answers"][0]


def test_a_baseline_synced_late_becomes_the_baseline(client, respond, patient, therapist) -> None:
    later = respond(response_body("HIT-6", hit6_answers((3, 3, 3, 3, 3, 3))))  # 60
    assert later.json["change"] is None  # the only one so far: the baseline
    earlier = response_body("HIT-6", hit6_answers((4, 4, 4, 4, 4, 4)), recorded_at=_ago(days=20))
    assert respond(earlier).status_code == 201  # 66, recorded earlier, arrives later
    series = client.get(f"/api/v1/patients/{patient.id}/measures", headers=therapist.headers)
    (hit6,) = series.json["items"]
    assert [(r["score"], r["change"], r["interpretation"]) for r in hit6["responses"]] == [
        (66.0, None, None),
        (60.0, 6.0, "improved"),
    ]


def test_each_measure_is_a_series_of_its_own_paginated_by_code(
    client, respond, patient, therapist, make_patient
) -> None:
    respond(response_body("NDI", ndi_answers(NDI_24)))
    respond(response_body("HIT-6", hit6_answers((3, 3, 3, 3, 3, 3))))
    respond(response_body("GROC", [{"item": "overall_change", "value": 2}]))
    respond(response_body("NDI", ndi_answers(NDI_14)), who=make_patient(therapist))  # not theirs
    path = f"/api/v1/patients/{patient.id}/measures"
    first = client.get(path, query_string={"limit": 2}, headers=therapist.headers)
    assert [s["measure"] for s in first.json["items"]] == ["GROC", "HIT-6"]
    rest = client.get(
        path,
        query_string={"limit": 2, "cursor": first.json["next_cursor"]},
        headers=therapist.headers,
    )
    assert [s["measure"] for s in rest.json["items"]] == ["NDI"]
    assert rest.json["next_cursor"] is None
    assert len(rest.json["items"][0]["responses"]) == 1


def test_a_response_and_a_series_read_are_audited_for_the_patient(
    app, client, respond, patient, therapist
) -> None:
    created = respond(response_body("GROC", [{"item": "overall_change", "value": 1}]))
    client.get(f"/api/v1/patients/{patient.id}/measures", headers=therapist.headers)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.patient_id == patient.id).order_by(AuditEvent.at)
        ).all()
        found = [(e.action, e.actor_id, e.object_id) for e in events]
    assert found == [
        ("measure_response.create", patient.id, created.json["id"]),
        ("measure.series_read", therapist.id, str(patient.id)),
    ]


def test_the_library_is_bilingual_and_open_to_every_role(client, respond, patient, therapist):
    for who in (patient, therapist):
        page = client.get("/api/v1/measures", headers=who.headers)
        assert page.status_code == 200
        assert [m["code"] for m in page.json["items"]] == ["GROC", "HIT-6", "NDI", "PSFS"]
    ndi = next(m for m in page.json["items"] if m["code"] == "NDI")
    assert ndi["wording"] == "paraphrase"
    assert set(ndi["name"]) == set(ndi["items"][0]["text"]) == {"en", "tr"}
    assert [o["score"] for o in ndi["items"][0]["options"]] == [0, 1, 2, 3, 4, 5]
    assert ndi["missing"] == {
        "allowed": 1,
        "rule": "prorate",
        "description": ndi["missing"]["description"],
    }
    assert [b["from"] for b in ndi["bands"]] == [0, 5, 15, 25, 35]
    second = client.get("/api/v1/measures", query_string={"limit": 3}, headers=patient.headers)
    assert len(second.json["items"]) == 3
    assert second.json["next_cursor"]
