"""Worker recycling: gunicorn's ``max_requests`` restarts workers without losing a request, and
a leaving worker skips the interpreter's teardown but keeps the exit status gunicorn set."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType

import pytest
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from server.extensions import db
from tests.robustness.conftest import (
    ROOT,
    GunicornProcess,
    count_rows,
    create_schema_and_seed,
    robust_app,
)

PATH = "/api/v1/me/pain-ratings"


def _gunicorn_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Exited(Exception):
    def __init__(self, status: int):
        self.status = status


@pytest.fixture
def conf(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """gunicorn.conf.py with ``os._exit`` replaced by an exception carrying the status."""
    module = _gunicorn_conf()

    def _exit(status: int) -> None:
        raise _Exited(status)

    monkeypatch.setattr(module.os, "_exit", _exit)
    return module


def _worker(kind: type = SyncWorker, app: object = None, pid: int | None = None) -> object:
    """A gunicorn worker object as the hook sees it (no process, no sockets)."""
    worker = object.__new__(kind)
    worker.wsgi = app
    worker.pid = os.getpid() if pid is None else pid
    return worker


def _leave(conf: ModuleType, code: object, worker: object) -> int | None:
    """Run ``worker_exit`` as gunicorn does, in the ``finally`` around ``sys.exit(code)``;
    the status it exits with, or None when it let Python exit as usual."""
    try:
        try:
            sys.exit(code)
        finally:
            conf.worker_exit(None, worker)
    except _Exited as exited:
        return exited.status
    except SystemExit:
        return None


@pytest.mark.parametrize(("code", "status"), [(0, 0), (None, 0), (3, 3), (-1, 255)])
def test_a_leaving_worker_keeps_the_exit_status_gunicorn_set(
    conf: ModuleType, code: int | None, status: int
) -> None:
    assert _leave(conf, code, _worker()) == status


def test_the_exit_hook_leaves_other_exits_to_python(conf: ModuleType) -> None:
    conf.worker_exit(None, _worker())  # no exit under way: returns
    assert _leave(conf, "a message for stderr", _worker()) is None
    assert _leave(conf, 0, _worker(ThreadWorker)) is None  # its pool may still be serving
    assert _leave(conf, 0, _worker(pid=os.getpid() + 1)) is None  # the arbiter's call


def test_the_exit_hook_closes_the_workers_database_connections(app, conf: ModuleType) -> None:
    with app.app_context():
        db.session.execute(db.select(1))
        db.session.remove()
        pool = db.engine.pool
        assert pool.checkedin() == 1
    assert _leave(conf, 0, _worker(app=app)) == 0
    assert pool.checkedin() == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_recycled_workers_answer_every_request_and_exit_cleanly(
    backend: str,
    dedicated_database: Callable[[str], str],
    gunicorn_factory: Callable[..., GunicornProcess],
) -> None:
    url = dedicated_database(backend)
    seeded = create_schema_and_seed(robust_app(url))
    server = gunicorn_factory(url, GUNICORN_MAX_REQUESTS="4")
    headers = {"Authorization": f"Bearer {seeded.patient_token}"}
    ids = [str(uuid.uuid4()) for _ in range(24)]
    for record_id in ids:
        body = {"id": record_id, "recorded_at": datetime.now(UTC).isoformat(), "score": 3}
        status, answer = server.request("POST", PATH, {**body, "context": "now"}, headers)
        assert status == 201, answer[:300]
    server.stop()
    log = server.log_path.read_text()
    assert log.count("Autorestarting worker") >= 4
    assert "exited with code" not in log  # the arbiter names any non-zero exit
    assert "Traceback" not in log
    assert count_rows(url, "pain_ratings") == dict.fromkeys(ids, 1)
