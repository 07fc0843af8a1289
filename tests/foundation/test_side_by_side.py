"""side_by_side runs a job step in several threads at once, each in its own app context and
session, with the caller's trace fields; and the garbage collector stays paused while any of
their batches runs."""

from __future__ import annotations

import gc
import threading

import pytest
import sqlalchemy as sa

from server.collector import collector_paused
from server.extensions import db
from server.side_by_side import side_by_side
from server.tracing import TraceFilter, traced


def _trace_fields() -> dict[str, str]:
    record = type("Record", (), {})()
    TraceFilter().filter(record)  # type: ignore[arg-type]
    return {k: v for k, v in vars(record).items() if not k.startswith("_")}


def test_each_run_has_its_own_thread_session_and_connection_and_the_callers_trace(app) -> None:
    seen: list[tuple[str, int, int, dict[str, str]]] = []
    lock = threading.Lock()
    both_in = threading.Barrier(3, timeout=10)  # all three runs hold a connection at once

    def step() -> str:
        backend_pid = db.session.execute(
            sa.text("SELECT pg_backend_pid()" if _postgres() else "SELECT 1")
        ).scalar_one()
        both_in.wait()
        with lock:
            seen.append(
                (
                    threading.current_thread().name,
                    id(db.session()),
                    id(db.session.connection().connection.dbapi_connection),
                    _trace_fields(),
                )
            )
        db.session.rollback()
        return f"{threading.current_thread().name}:{backend_pid}"

    with app.app_context(), traced(job_run_id="run-1"):
        results = side_by_side(step, 3)
        db.session.remove()
    assert len(results) == 3
    assert {name for name, *_ in seen} == {"MainThread", "side-1", "side-2"}
    assert len({session for _, session, _, _ in seen}) == 3
    assert len({connection for _, _, connection, _ in seen}) == 3
    assert all(fields == {"job_run_id": "run-1"} for *_, fields in seen)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def test_an_error_in_one_thread_is_raised_after_every_run_ends(app) -> None:
    finished: list[str] = []

    def step() -> None:
        if threading.current_thread().name == "side-1":
            raise RuntimeError("claim failed")
        finished.append(threading.current_thread().name)

    with app.app_context(), pytest.raises(RuntimeError, match="claim failed"):
        side_by_side(step, 3)
    assert sorted(finished) == ["MainThread", "side-2"]


def test_one_run_starts_no_thread(app) -> None:
    with app.app_context():
        assert side_by_side(lambda: threading.current_thread().name, 1) == ["MainThread"]


@pytest.mark.parametrize("found_enabled", [True, False])
def test_the_collector_stays_paused_until_the_last_overlapping_block_ends(found_enabled) -> None:
    was = gc.isenabled()
    (gc.enable if found_enabled else gc.disable)()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    during: list[bool] = []

    def second() -> None:
        first_in.wait(10)
        with collector_paused():
            second_in.set()
            first_out.wait(10)
            during.append(gc.isenabled())  # the first block has ended, this one has not

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with collector_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()
        thread.join(10)
        assert during == [False]
        assert gc.isenabled() is found_enabled
    finally:
        (gc.enable if was else gc.disable)()
