"""GET/POST /exercises and GET /programme-templates."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

NEW_EXERCISE: dict[str, Any] = {
    "slug": "wall-angel",
    "category": "mobility",
    "name": {"en": "Wall angel", "tr": "Duvar meleği"},
    "instructions": {"en": "Slide your arms up the wall.", "tr": "Kollarınızı duvarda kaydırın."},
    "media_urls": ["https://media.example/wall-angel.mp4"],
    "ladder": [
        {"level": 1, "sets": 1, "reps": 8},
        {"level": 2, "sets": 2, "reps": 8, "hold_seconds": 3, "rest_seconds": 30},
    ],
}


def _all_slugs(client: FlaskClient, headers: dict[str, str], limit: int = 5) -> list[str]:
    slugs: list[str] = []
    cursor = None
    while True:
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/exercises", query_string=query, headers=headers).json
        slugs += [e["slug"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return slugs


def test_library_lists_shared_and_own_exercises_only(
    client: FlaskClient, library, make_staff, make_clinic
) -> None:
    mine, theirs = make_staff(), make_staff()
    own = client.post("/api/v1/exercises", json=NEW_EXERCISE, headers=mine.headers)
    assert own.status_code == 201, own.json
    assert own.json["clinic_id"] == str(mine.clinic_id)
    assert own.json["ladder"][0] == {
        "level": 1,
        "sets": 1,
        "reps": 8,
        "hold_seconds": 0,
        "rest_seconds": 0,
        "target": None,
    }
    mine_slugs = _all_slugs(client, mine.headers)
    theirs_slugs = _all_slugs(client, theirs.headers)
    assert len(mine_slugs) == library["exercises"] + 1
    assert "wall-angel" in mine_slugs
    assert "wall-angel" not in theirs_slugs
    assert mine_slugs == sorted(mine_slugs)


def test_library_entries_are_bilingual_with_ladders(client: FlaskClient, library, make_staff):
    therapist = make_staff()
    page = client.get("/api/v1/exercises?limit=200", headers=therapist.headers).json
    ccf = next(e for e in page["items"] if e["slug"] == "cranio-cervical-flexion")
    assert set(ccf["name"]) == {"en", "tr"}
    assert [level["target"]["value"] for level in ccf["ladder"]] == [22, 24, 26, 28, 30]


def test_a_clinic_exercise_slug_may_not_clash(client: FlaskClient, library, make_staff):
    therapist = make_staff()
    clash = {**NEW_EXERCISE, "slug": "chin-tuck-sitting"}
    response = client.post("/api/v1/exercises", json=clash, headers=therapist.headers)
    assert response.status_code == 409
    assert client.post("/api/v1/exercises", json=NEW_EXERCISE, headers=therapist.headers)
    again = client.post("/api/v1/exercises", json=NEW_EXERCISE, headers=therapist.headers)
    assert again.status_code == 409


def test_exercise_ladders_and_texts_are_validated(client: FlaskClient, make_staff):
    therapist = make_staff()
    cases = {
        "ladder": {**NEW_EXERCISE, "ladder": [{"level": 2, "sets": 1, "reps": 5}]},
        "name": {**NEW_EXERCISE, "name": {"en": "Only English"}},
        "slug": {**NEW_EXERCISE, "slug": "Not A Slug"},
        "colour": {**NEW_EXERCISE, "colour": "blue"},
    }
    for field, body in cases.items():
        response = client.post("/api/v1/exercises", json=body, headers=therapist.headers)
        assert response.status_code == 422, field
        assert response.content_type == "application/problem+json"
        assert any(key.startswith(field) for key in response.json["errors"]), response.json


def test_patients_may_not_use_the_library_endpoints(client: FlaskClient, make_patient):
    patient = make_patient()
    assert client.get("/api/v1/exercises", headers=patient.headers).status_code == 403
    assert (
        client.post("/api/v1/exercises", json=NEW_EXERCISE, headers=patient.headers).status_code
        == 403
    )
    assert client.get("/api/v1/programme-templates", headers=patient.headers).status_code == 403
    assert client.get("/api/v1/exercises").status_code == 401


def test_templates_are_listed(client: FlaskClient, library, make_staff):
    therapist = make_staff()
    page = client.get("/api/v1/programme-templates", headers=therapist.headers).json
    assert page["next_cursor"] is None
    slugs = [t["slug"] for t in page["items"]]
    assert len(slugs) == library["templates"] >= 2
    basic = page["items"][slugs.index("cervicogenic-headache-basic")]
    assert basic["posture_breaks"]["interval_minutes"] == 40
    assert [s["time"] for s in basic["schedule"]["slots"]] == ["08:00", "19:00"]
