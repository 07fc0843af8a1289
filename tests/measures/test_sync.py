"""``measure_response`` in the offline sync batch: stored as a post stores it (scored, audited,
idempotent across post and sync), and a bad item spoils none of the others."""

from __future__ import annotations

import uuid

from tests.measures.conftest import NDI_14, NDI_24, ndi_answers, response_body

SYNC = "/api/v1/me/sync"


def test_measure_responses_sync_beside_other_records_and_replay_as_duplicates(
    client, patient, measure_library
) -> None:
    baseline = response_body("NDI", ndi_answers(NDI_24))
    later = response_body("NDI", ndi_answers(NDI_14))
    two_missing = response_body("NDI", ndi_answers((None, None, *NDI_24[2:])))
    pain = {"id": str(uuid.uuid4()), "recorded_at": baseline["recorded_at"], "score": 3}
    pain["context"] = "now"
    items = [
        {"kind": "measure_response", "data": baseline},
        {"kind": "pain_rating", "data": pain},
        {"kind": "measure_response", "data": two_missing},
        {"kind": "measure_response", "data": {**later, "measure": "NOPE"}},
        {"kind": "measure_response", "data": later},
    ]
    synced = client.post(SYNC, json={"items": items}, headers=patient.headers)
    assert synced.status_code == 200, synced.json
    results = synced.json["results"]
    assert [r["status"] for r in results] == ["created", "created", "invalid", "invalid", "created"]
    assert results[0]["id"] == baseline["id"]
    assert "answers" in results[2]["errors"]
    assert results[3]["errors"] == {"measure": ["Unknown measure."]}

    series = client.get(f"/api/v1/patients/{patient.id}/measures", headers=patient.headers)
    assert series.status_code == 403  # staff only; the patient's own post shows the change
    replay = client.post("/api/v1/me/measure-responses", json=later, headers=patient.headers)
    assert replay.status_code == 200
    assert (replay.json["change"], replay.json["interpretation"]) == (10.0, "improved")

    again = client.post(SYNC, json={"items": items}, headers=patient.headers)
    statuses = [r["status"] for r in again.json["results"]]
    # The unknown measure's id now holds the later response: another record under it, 409.
    assert statuses == ["duplicate", "duplicate", "invalid", "conflict", "duplicate"]
    other = {**later, "answers": ndi_answers(NDI_24)}
    taken = client.post(
        SYNC, json={"items": [{"kind": "measure_response", "data": other}]}, headers=patient.headers
    )
    assert taken.json["results"] == [{"id": later["id"], "status": "conflict"}]
