"""One cluster run: set up, play the day with a machine and a scheduler killed midway, check."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from bench.seed import POSTGRES_ADMIN_URL, drop_postgres, postgres_url, recreate_postgres
from bench.server import BIN, ROOT
from cluster import checks
from cluster.day import Traffic, play_day
from cluster.processes import ApiServer, PushReceiver, Scheduler, wait_until
from cluster.seed import TZ, Secrets, app_config, seed_clinic, slot_minutes

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ACCOUNT_LIMIT = 5  # failed logins per account per minute


class Unavailable(RuntimeError):
    """PostgreSQL or Redis does not answer."""


@dataclass
class Plan:
    """The size of a run: the full one (make cluster) or the short one (the test suite)."""

    patients: int = 2000
    minutes: int = 4  # reminder slots at this many whole minutes, from the current one
    first_minute: int = 0  # -1: the first slot a minute ago (due at once, no wait for one)
    day_seconds: float = 120.0  # at least this long; longer until the last slot has passed
    workers: int = 2  # gunicorn workers per API server
    threads: int = 12  # phones at once


@dataclass
class Report:
    """Figures and failed assertions of one run."""

    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)


def ensure_services() -> None:
    """Raise :class:`Unavailable` unless PostgreSQL and Redis both answer."""
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        where = re.sub(r"//[^@/]*@", "//", POSTGRES_ADMIN_URL)  # never a password in a message
        raise Unavailable(f"PostgreSQL is not reachable at {where}: {error}") from error
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as error:
        raise Unavailable(
            f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}: {error}"
        ) from error


def server_env(url: str, keys: Secrets, receiver: PushReceiver, plan: Plan) -> dict[str, str]:
    """Production mode, as a deployment runs: shared Redis limits, a webhook push provider."""
    return {
        "HEP_ENV": "production",
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": url,
        "SECRET_KEY": keys.secret_key,
        "JWT_SECRET_KEY": keys.jwt_secret_key,
        "ACCESS_TOKEN_MINUTES": "120",
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        "RATELIMIT_KEY_PREFIX": f"hep-cluster-{os.getpid()}",
        # Every phone is 127.0.0.1 here: the per-address limit would stop the day's logins.
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_LIMIT} per minute",
        "PUSH_PROVIDER": "webhook",
        "WEBHOOK_URL": receiver.url,
        "WEBHOOK_SECRET": keys.webhook_secret,
        "SCHEDULER_TICK_SECONDS": "1",
        "FLAG_EVALUATION_SECONDS": "1",
        "WEB_CONCURRENCY": str(plan.workers),
        "LOG_LEVEL": "WARNING",
    }


def migrate(url: str) -> None:
    env = {**os.environ, "HEP_ENV": "development", "DATABASE_URL": url, "FLASK_APP": "wsgi.py"}
    done = subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-3000:]}")


def _in_app(url: str, keys: Secrets, work: Any) -> Any:
    from server import create_app
    from server.extensions import db

    app = create_app({**app_config(url, keys), "RATELIMIT_ENABLED": False})
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


def run(plan: Plan, log_dir: Path) -> Report:
    """Run the cluster test once; the databases it made are dropped whatever happens."""
    ensure_services()
    report = Report()
    began = time.monotonic()
    name = f"hep_cluster_{os.getpid()}"
    url = recreate_postgres(name)
    try:
        _run(plan, url, name, log_dir, report, began)
    finally:
        drop_postgres(name)
        drop_postgres(f"{name}_replay")
    report.figures["time (s)"] = round(time.monotonic() - began, 1)
    return report


def _run(plan: Plan, url: str, name: str, log_dir: Path, report: Report, began: float) -> None:
    keys = Secrets()
    setup: dict[str, float] = {}

    def mark(step: str) -> None:
        setup[step] = round(time.monotonic() - began, 1)

    migrate(url)
    mark("migrated")
    seeded_at = datetime.now(UTC)
    slots = slot_minutes(seeded_at + timedelta(minutes=plan.first_minute), plan.minutes)

    # No flag sweep here: each scheduler's first job run is one (the flags are judged then).
    clinic = _in_app(url, keys, lambda: seed_clinic(plan.patients, slots, seeded_at))
    mark("seeded")
    report.figures["setup (s since start)"] = setup
    engine = sa.create_engine(url)
    with PushReceiver() as receiver:
        env = server_env(url, keys, receiver, plan)
        apis = [ApiServer(env, log_path=log_dir / f"api{n}.log", start_timeout=60) for n in (0, 1)]
        schedulers = [Scheduler(env, log_path=log_dir / f"scheduler{n}.log") for n in (0, 1)]
        try:
            _start_together(apis)
            for scheduler in schedulers:
                scheduler.start()
            mark("processes up")
            traffic = _day_with_faults(plan, clinic, apis, schedulers, report)
            settled = wait_until(
                lambda: checks.pending_work(engine, datetime.now(UTC)) == 0, timeout=90
            )
            report.expect(settled, "reminders or flag evaluations were still due after 90 s")
            mark("settled")
            ports = [api.port for api in apis]
            one_port = checks.login_attempts_until_limited(ports[:1], clinic.probe_emails[0])
            both_ports = checks.login_attempts_until_limited(ports, clinic.probe_emails[1])
        finally:
            for process in [*schedulers, *apis]:
                process.stop()
        mark("stopped")
        figures = report.figures
        figures["records"] = checks.records(engine, traffic)
        figures["reminders"] = checks.reminders(engine, clinic, receiver)
    figures["login limit hit at attempt (one API / both APIs)"] = (one_port, both_ports)
    cluster_flags = checks.active_flags(engine)
    engine.dispose()
    mark("checked")
    replayed = _replay(name, url, keys)
    mark("replayed")
    figures["flags"] = {
        "active after the day": len(cluster_flags),
        "active in a one-process replay": len(replayed),
        "only in the cluster": sorted(map(str, cluster_flags - replayed))[:5],
        "only in the replay": sorted(map(str, replayed - cluster_flags))[:5],
    }
    reminders = figures["reminders"]
    figures["reminders sent (pushes received)"] = reminders["pushes received"]
    figures["duplicates found"] = (
        figures["records"]["stored more than once"]
        + reminders["occurrences recorded twice"]
        + reminders["outbox rows per occurrence > 1"]
        + reminders["pushes received twice (same delivery)"]
        + reminders["pushes received twice (same occurrence)"]
    )
    _assert(report, traffic, one_port, both_ports, cluster_flags, replayed)


def _start_together(apis: list[ApiServer]) -> None:
    """Start the servers at once (each waits for its workers); raise the first failure."""
    failures: list[BaseException] = []

    def start(api: ApiServer) -> None:
        try:
            api.start()
        except BaseException as error:  # handed to the caller below
            failures.append(error)

    threads = [threading.Thread(target=start, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _day_with_faults(
    plan: Plan, clinic: Any, apis: list[ApiServer], schedulers: list[Scheduler], report: Report
) -> Traffic:
    """Play the day; midway SIGKILL API server 0 and scheduler 0, then start them again."""
    start = time.monotonic()
    wall_start = datetime.now(UTC)
    last_slot = (clinic.slot_times[-1] - wall_start).total_seconds()
    seconds = max(plan.day_seconds, last_slot + 10)
    # During a reminder round if one is still ahead, else halfway through the day.
    middle = (clinic.slot_times[len(clinic.slot_times) // 2] - wall_start).total_seconds() + 0.5
    kill_at = start + (middle if seconds * 0.2 < middle < seconds * 0.8 else seconds / 2)
    today = datetime.now(ZoneInfo(TZ)).date()
    result: dict[str, Traffic] = {}
    ports = [api.port for api in apis]
    day = threading.Thread(
        target=lambda: result.setdefault(
            "traffic",
            play_day(clinic.patients, ports, seconds=seconds, today=today, threads=plan.threads),
        )
    )
    day.start()
    time.sleep(max(0.0, kill_at - time.monotonic()))
    killed = time.monotonic()
    apis[0].kill()
    schedulers[0].kill()
    time.sleep(1.0)  # the machine is down for a moment before its supervisor restarts it
    schedulers[0].start()
    apis[0].start()
    restarted = time.monotonic()
    day.join()
    ended = time.monotonic()
    traffic = result["traffic"]
    window = [kind for at, kind in traffic.errors if killed <= at <= restarted + 5]
    report.figures["patients"] = len(clinic.patients)
    report.figures["requests"] = traffic.requests
    report.figures["requests/s"] = round(traffic.requests / (ended - start), 1)
    report.figures["answers by status"] = dict(sorted(traffic.statuses.items()))
    report.figures["records retried on purpose"] = traffic.retried_on_purpose
    report.figures["kill at (s into the day) / outage (s)"] = (
        round(killed - start, 1),
        round(restarted - killed, 1),
    )
    report.figures["errors in the kill window"] = dict(sorted(Counter(window).items()))
    report.figures["errors outside it"] = len(traffic.errors) - len(window)
    report.figures["day (s)"] = round(ended - start, 1)
    report.figures["reminder slots (UTC)"] = [f"{t:%H:%M}" for t in clinic.slot_times]
    return traffic


def _replay(name: str, url: str, keys: Secrets) -> set[Any]:
    """Copy the cluster's database (every process stopped) and judge the flags again there."""
    copy = f"{name}_replay"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    now = datetime.now(UTC) + timedelta(seconds=1)
    return _in_app(postgres_url(copy), keys, lambda: checks.replay_flags(now))


def _assert(report: Report, traffic: Traffic, one: Any, both: Any, live: set, replay: set) -> None:
    records, reminders = report.figures["records"], report.figures["reminders"]
    expect = report.expect
    expect(records["acknowledged lost"] == 0, "an acknowledged record was not stored")
    expect(records["stored more than once"] == 0, "a record was stored more than once")
    expect(records["acknowledged"] > 0.9 * records["records sent"], "too few records acknowledged")
    expect(reminders["occurrences not recorded"] == 0, "a reminder occurrence was not recorded")
    expect(reminders["occurrences recorded twice"] == 0, "an occurrence was recorded twice")
    expect(reminders["outbox rows per occurrence > 1"] == 0, "an occurrence has two pushes queued")
    expect(reminders["pushes received"] > 0, "no push reached the receiver")
    expect(reminders["pushes received twice (same delivery)"] == 0, "a push was sent twice")
    expect(reminders["pushes received twice (same occurrence)"] == 0, "an occurrence pushed twice")
    expect(one == ACCOUNT_LIMIT + 1, f"the login limit on one API held at {one}")
    expect(both == one, f"the login limit across both APIs held at {both}, not {one}")
    expect(live == replay, "the flags differ from a one-process replay of the same data")
    expect(len(live) > 0, "the day raised no flag to compare")
    expect(traffic.requests > 0, "no request was sent")
