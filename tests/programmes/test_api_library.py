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


def _own_exercise(client: FlaskClient, staff, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/exercises", json=NEW_EXERCISE | changes, headers=staff.headers)
    assert response.status_code == 201, response.json
    return response.json


def _patch(client: FlaskClient, staff, exercise_id: str, body: dict[str, Any]):
    return client.patch(f"/api/v1/exercises/{exercise_id}", json=body, headers=staff.headers)


def _exercise_actions(app, exercise_id: str) -> list[str]:
    import sqlalchemy as sa

    from server.audit.models import AuditEvent
    from server.extensions import db

    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.object_id == exercise_id)
                .order_by(AuditEvent.at)
            )
        )


def test_a_clinic_edits_the_texts_of_its_own_exercise(
    app, client: FlaskClient, library, make_staff
) -> None:
    therapist = make_staff()
    exercise = _own_exercise(client, therapist)
    fixed = {"en": "Slide both arms up the wall, slowly.", "tr": "İki kolunuzu yavaşça kaydırın."}

    response = _patch(client, therapist, exercise["id"], {"instructions": fixed})

    assert response.status_code == 200, response.json
    assert response.json["instructions"] == fixed
    assert response.json["ladder"] == exercise["ladder"]
    assert response.json["name"] == NEW_EXERCISE["name"]
    listed = client.get("/api/v1/exercises?limit=200", headers=therapist.headers).json["items"]
    assert next(e for e in listed if e["id"] == exercise["id"])["instructions"] == fixed
    assert _exercise_actions(app, exercise["id"]) == ["exercise.create", "exercise.update"]


def test_slug_and_ladder_are_not_editable(client: FlaskClient, library, make_staff) -> None:
    therapist = make_staff()
    exercise = _own_exercise(client, therapist)
    for body in ({"slug": "renamed"}, {"ladder": NEW_EXERCISE["ladder"][:1]}):
        response = _patch(client, therapist, exercise["id"], body)
        assert response.status_code == 422
        assert list(response.json["errors"]) == list(body)


def test_retired_takes_a_json_boolean_only(client: FlaskClient, library, make_staff) -> None:
    therapist = make_staff()
    exercise = _own_exercise(client, therapist)
    for value in (1, 0, "true"):
        response = _patch(client, therapist, exercise["id"], {"retired": value})
        assert response.status_code == 422, value
        assert response.json["errors"] == {"retired": ["Not a valid boolean: use true or false."]}
    assert _patch(client, therapist, exercise["id"], {}).json["retired_at"] is None


def test_the_shared_library_and_other_clinics_exercises_are_not_editable(
    client: FlaskClient, library, make_staff
) -> None:
    mine, other_clinic = make_staff(), make_staff()
    theirs = _own_exercise(client, other_clinic)
    shared = client.get("/api/v1/exercises?limit=1", headers=mine.headers).json["items"][0]
    assert shared["clinic_id"] is None

    assert _patch(client, mine, shared["id"], {"category": "mobility"}).status_code == 403
    hidden = _patch(client, mine, theirs["id"], {"category": "mobility"})
    assert hidden.status_code == 404
    assert theirs["slug"] not in hidden.get_data(as_text=True)


def test_a_retired_exercise_is_hidden_and_never_prescribed_anew(
    app, client: FlaskClient, library, make_staff, make_patient, create_programme
) -> None:
    therapist = make_staff()
    patient, newcomer = make_patient(therapist), make_patient(therapist)
    exercise = _own_exercise(client, therapist)
    schedule = {"days": [1, 2, 3, 4, 5, 6, 7], "slots": [{"slot": "morning", "time": "08:00"}]}
    items = [{"exercise_id": exercise["id"]}, {"exercise": "chin-tuck-sitting"}]
    routine = {"enabled": True, "interval_minutes": 40, "routine": exercise["slug"]}
    programme = create_programme(
        therapist, patient, template=None, schedule=schedule, items=items, posture_breaks=routine
    )

    retired = _patch(client, therapist, exercise["id"], {"retired": True})

    assert retired.status_code == 200
    assert retired.json["retired_at"] is not None
    assert exercise["slug"] not in _all_slugs(client, therapist.headers)
    with_retired = client.get(
        "/api/v1/exercises?limit=200&include_retired=true", headers=therapist.headers
    )
    assert exercise["slug"] in [e["slug"] for e in with_retired.json["items"]]

    def new_programme(**parts: Any):
        body = {"items": [{"exercise": "chin-tuck-sitting"}], "schedule": schedule} | parts
        body["start_date"] = programme["start_date"]
        return client.post(
            f"/api/v1/patients/{newcomer.id}/programmes", json=body, headers=therapist.headers
        )

    # Not for a new programme: by id, by slug, or as its posture-break routine.
    for item in ({"exercise_id": exercise["id"]}, {"exercise": exercise["slug"]}):
        response = new_programme(items=[item])
        assert response.status_code == 422, response.json
        assert response.json["errors"]["items.0.exercise"] == [
            "This exercise is retired; it cannot be prescribed anew."
        ]
    as_routine = new_programme(posture_breaks=routine)
    assert as_routine.status_code == 422
    assert list(as_routine.json["errors"]) == ["posture_breaks.routine"]
    # The programme that prescribes it keeps it, routine included, through a new revision.
    revision = client.post(
        f"/api/v1/programmes/{programme['id']}/revisions",
        json={"base_revision": 1, "reason": "a later morning", "schedule": schedule},
        headers=therapist.headers,
    )
    assert revision.status_code == 201, revision.json
    plan = client.get("/api/v1/me/plan", headers=patient.headers).json
    assert exercise["slug"] in [i["slug"] for s in plan["sessions"] for i in s["items"]]
    assert plan["posture_breaks"]["routine"]["slug"] == exercise["slug"]
    # Restored, it can be prescribed again.
    assert _patch(client, therapist, exercise["id"], {"retired": False}).json["retired_at"] is None
    assert new_programme(items=[{"exercise_id": exercise["id"]}]).status_code == 201
    assert _exercise_actions(app, exercise["id"]) == [
        "exercise.create",
        "exercise.retire",
        "exercise.restore",
    ]
