"""The patient list's summary gains each answered measure's latest change from baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.measures.conftest import NDI_14, NDI_24, hit6_answers, ndi_answers, response_body


def test_the_patient_list_shows_the_latest_change_per_measure(
    client, therapist, patient, respond, make_patient
) -> None:
    weeks_ago = datetime.now(UTC) - timedelta(days=28)
    assert (
        respond(response_body("NDI", ndi_answers(NDI_24), recorded_at=weeks_ago)).status_code == 201
    )
    assert respond(response_body("NDI", ndi_answers(NDI_14))).status_code == 201
    assert respond(response_body("HIT-6", hit6_answers((1, 2, 3, 4, 5, 1)))).status_code == 201
    quiet = make_patient(therapist)

    listed = client.get("/api/v1/patients", headers=therapist.headers).json["items"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[str(patient.id)]["outcomes"] == [
        {"measure": "HIT-6", "score": 54.0, "change": None, "interpretation": None},
        {"measure": "NDI", "score": 14.0, "change": 10.0, "interpretation": "improved"},
    ]
    assert by_id[str(quiet.id)]["outcomes"] == []
    detail = client.get(f"/api/v1/patients/{patient.id}", headers=therapist.headers).json
    assert [o["measure"] for o in detail["outcomes"]] == ["HIT-6", "NDI"]
