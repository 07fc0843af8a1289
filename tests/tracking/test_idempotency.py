"""Nothing lost, nothing doubled: any order, any repetition, any batching, any concurrency."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.audit.models import AuditEvent
from server.extensions import db
from server.flags.models import Flag
from server.tracking.store import MODELS
from tests.tracking.conftest import BODIES, PATHS, iso, symptom_body

STATUS_OF_CODE = {201: "created", 200: "duplicate", 409: "conflict"}
KINDS = list(BODIES)


def _variant(body: dict) -> dict:
    """The same id with another body: one minute earlier."""
    earlier = datetime.fromisoformat(body["recorded_at"]) - timedelta(minutes=1)
    return {**body, "recorded_at": iso(earlier)}


step = st.one_of(
    st.tuples(st.just("single"), st.integers(0, 3), st.integers(0, 1)),
    st.tuples(
        st.just("sync"),
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=6),
        st.booleans(),
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=4, max_size=4),
    steps=st.lists(step, min_size=1, max_size=8),
)
def test_any_submission_sequence_leaves_one_copy_of_each_record(
    client, app, make_patient, kinds, steps
) -> None:
    patient = make_patient(timezone="UTC")
    originals = [BODIES[kind]() for kind in kinds]
    versions = [(body, _variant(body)) for body in originals]
    first: dict[int, int] = {}

    def expect(index: int, version: int) -> str:
        if index not in first:
            first[index] = version
            return "created"
        return "duplicate" if first[index] == version else "conflict"

    for action, *args in steps:
        if action == "single":
            index, version = args
            kind = kinds[index]
            response = client.post(
                PATHS[kind], json=versions[index][version], headers=patient.headers
            )
            assert STATUS_OF_CODE[response.status_code] == expect(index, version)
        else:
            chosen, with_invalid = args
            items = [{"kind": kinds[i], "data": versions[i][v]} for i, v in chosen]
            if with_invalid:
                items.insert(0, {"kind": "pain_rating", "data": {"id": str(uuid.uuid4())}})
            response = client.post(
                "/api/v1/me/sync", json={"items": items}, headers=patient.headers
            )
            assert response.status_code == 200
            statuses = [r["status"] for r in response.json["results"]]
            expected = [expect(i, v) for i, v in chosen]
            assert statuses == (["invalid", *expected] if with_invalid else expected)

    with app.app_context():
        for index, version in first.items():
            model = MODELS[kinds[index]]
            rows = db.session.scalars(
                sa.select(model).where(model.id == uuid.UUID(originals[index]["id"]))
            ).all()
            assert len(rows) == 1
            wanted = datetime.fromisoformat(versions[index][version]["recorded_at"])
            assert rows[0].recorded_at == wanted
        stored = sum(
            db.session.scalar(
                sa.select(sa.func.count()).select_from(m).where(m.patient_id == patient.id)
            )
            for m in MODELS.values()
        )
        assert stored == len(first)


def test_the_same_batch_from_many_threads_is_stored_once(app, make_patient) -> None:
    patient = make_patient(timezone="UTC")
    items = [{"kind": KINDS[n % 4], "data": BODIES[KINDS[n % 4]]()} for n in range(60)]
    items.append({"kind": "symptom_check", "data": symptom_body(thunderclap=True)})
    threads = 6
    barrier = threading.Barrier(threads)

    def send(_: int) -> tuple[int, list[str]]:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/me/sync", json={"items": items}, headers=patient.headers)
        statuses = [r["status"] for r in (response.json or {}).get("results", [])]
        return response.status_code, statuses

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(send, range(threads)))

    assert [code for code, _ in outcomes] == [200] * threads
    for position in range(len(items)):
        column = sorted(statuses[position] for _, statuses in outcomes)
        assert column == ["created"] + ["duplicate"] * (threads - 1)
    with app.app_context():
        for kind, model in MODELS.items():
            stored = db.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.patient_id == patient.id)
            )
            assert stored == sum(1 for item in items if item["kind"] == kind)
        red_flags = db.session.scalars(sa.select(Flag).where(Flag.patient_id == patient.id)).all()
        assert len(red_flags) == 1
        created = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.patient_id == patient.id, AuditEvent.action.like("%.create")
            )
        ).all()
        # One creation event per record, written by the batch that stored it: none for the
        # ids the other threads found taken.
        assert sorted(created) == sorted((f"{i['kind']}.create", i["data"]["id"]) for i in items)


def test_the_same_record_posted_from_many_threads_is_created_once(app, make_patient) -> None:
    patient = make_patient(timezone="UTC")
    body = BODIES["session_log"]()
    threads = 6
    barrier = threading.Barrier(threads)

    def send(_: int) -> tuple[int, dict]:
        client = app.test_client()
        barrier.wait()
        response = client.post(PATHS["session_log"], json=body, headers=patient.headers)
        return response.status_code, response.json

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(send, range(threads)))

    assert sorted(code for code, _ in outcomes) == [200] * (threads - 1) + [201]
    assert all(json == outcomes[0][1] for _, json in outcomes)
    with app.app_context():
        model = MODELS["session_log"]
        stored = db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.patient_id == patient.id)
        )
        assert stored == 1
