"""The scheduler process: APScheduler's BlockingScheduler running the declared job list.

Started by ``flask scheduler run`` (defined here) in its own process, never inside web workers.
Due reminders come from the database (``next_due_at``), so the jobs are a handful of periodic
sweeps, not one job per patient; several scheduler processes may run side by side on PostgreSQL.
"""

from __future__ import annotations

import importlib
import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup

from server.clock import utcnow
from server.extensions import db
from server.metrics import start_scheduler_metrics
from server.tracing import new_id, traced

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: an explicit id, a ``module:function`` called with ``now=``, a period."""

    id: str
    target: str
    seconds: int


def declared_jobs(config: Mapping[str, Any]) -> list[JobSpec]:
    """The scheduler's jobs, as data."""
    return [
        JobSpec(
            "reminders.dispatch_tick",
            "server.reminders.jobs:dispatch_tick",
            int(config.get("SCHEDULER_TICK_SECONDS", 30)),
        ),
        JobSpec(
            "flags.evaluate_pending",
            "server.flags.jobs:run_pending_evaluations",
            int(config.get("FLAG_EVALUATION_SECONDS", 10)),
        ),
        JobSpec(
            "flags.sweep",
            "server.flags.jobs:sweep_job",
            int(config.get("FLAG_SWEEP_SECONDS", 900)),
        ),
        JobSpec(
            "reminders.flag_digest",
            "server.reminders.jobs:digest_job",
            int(config.get("DIGEST_CHECK_SECONDS", 300)),
        ),
        JobSpec(
            "audit.spread_pages",
            "server.audit.jobs:spread_pages_job",
            int(config.get("AUDIT_SPREAD_SECONDS", 10)),
        ),
        JobSpec("reminders.reconcile_streams", "server.reminders.jobs:reconcile_streams_job", 900),
        JobSpec("reminders.cleanup", "server.reminders.jobs:cleanup_job", 6 * 3600),
    ]


def resolve(target: str) -> Any:
    """``"package.module:function"`` → the function."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_job(app: Flask, job_id: str, target: str) -> None:
    """Run one job as of the current instant inside an app context; log failures, never raise."""
    with app.app_context(), traced(job_id=job_id, job_run_id=new_id()):
        try:
            resolve(target)(now=utcnow())
        except Exception as error:
            log.exception(
                "scheduled job failed", extra={"job_id": job_id, "error": type(error).__name__}
            )
        finally:
            db.session.remove()


def add_declared_jobs(scheduler: BaseScheduler, app: Flask) -> list[str]:
    """Register every declared job (explicit id, ``replace_existing=True``); returns the ids."""
    ids = []
    for spec in declared_jobs(app.config):
        scheduler.add_job(
            run_job,
            trigger="interval",
            seconds=spec.seconds,
            args=(app, spec.id, spec.target),
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=spec.seconds,
            next_run_time=utcnow(),
        )
        ids.append(spec.id)
    return ids


def stop_on_signal(scheduler: BaseScheduler) -> Callable[[int, Any], None]:
    """A signal handler that shuts ``scheduler`` down once; a second signal (a supervisor and a
    terminal both sending one) during the shutdown is a no-op, not an error at exit."""

    def stop(signum: int, _frame: Any) -> None:
        if scheduler.running:
            log.info("scheduler stopping", extra={"signal": signum})
            scheduler.shutdown(wait=False)

    return stop


def run_scheduler(app: Flask) -> None:
    """Block running the scheduler until SIGTERM or SIGINT."""
    from server.reminders.providers import provider_from_config

    provider_from_config(app.config).close()  # fail fast on a bad provider configuration
    start_scheduler_metrics(app)
    scheduler = BlockingScheduler(timezone="UTC")
    ids = add_declared_jobs(scheduler, app)

    stop = stop_on_signal(scheduler)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler starting", extra={"jobs": ids})
    scheduler.start()


scheduler_cli = AppGroup("scheduler", help="The scheduler process.")


@scheduler_cli.command("run")
def run_scheduler_command() -> None:
    """Run the scheduler process (dispatch tick, flag sweep, digest, clean-up) until stopped."""
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
