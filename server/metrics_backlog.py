"""The backlogs behind the service levels, read from the database when metrics are scraped: they
keep growing while no scheduler runs, when the lag histograms (observed only when work is done)
stand still. Read-only, indexed queries; correct with any number of scheduler processes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from server.clock import utcnow
from server.extensions import db

log = logging.getLogger(__name__)


def _age(now: datetime, oldest: datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def read_backlogs(now: datetime) -> dict[str, float]:
    """The outbox's unfinished rows and the oldest one's age; the oldest reminder due but not
    yet recorded; the patients whose records wait for a reminder replan, and the oldest mark;
    the patients new data marked due but not yet evaluated, and the oldest wait; the page reads
    whose audit events wait to be spread, and the oldest."""
    from server.audit.models import AuditPage
    from server.flags.models import FlagEvaluationState
    from server.reminders.models import Delivery, ReminderStream, ReplanMark

    outbox = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Delivery.created_at)).where(
            Delivery.next_attempt_at.is_not(None)
        )
    ).one()
    overdue_reminder = db.session.scalar(
        sa.select(sa.func.min(ReminderStream.next_due_at)).where(ReminderStream.next_due_at <= now)
    )
    replans = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(ReplanMark.marked_at))
    ).one()
    flags = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(FlagEvaluationState.next_sweep_at)).where(
            FlagEvaluationState.next_sweep_at <= now,
            FlagEvaluationState.pending_from.is_not(None),
        )
    ).one()
    pages = db.session.execute(sa.select(sa.func.count(), sa.func.min(AuditPage.at))).one()
    return {
        "outbox_backlog": float(outbox[0]),
        "outbox_oldest_age": _age(now, outbox[1]),
        "reminder_oldest_overdue": _age(now, overdue_reminder),
        "replans_pending": float(replans[0]),
        "replan_oldest_age": _age(now, replans[1]),
        "flag_pending": float(flags[0]),
        "flag_oldest_pending": _age(now, flags[1]),
        "audit_pages_waiting": float(pages[0]),
        "audit_page_oldest_age": _age(now, pages[1]),
    }


# The clinical service levels (README, "Service levels"): p99 of each lag, in seconds.
OBJECTIVES = {"flag_evaluation_lag_p99": 30.0, "reminder_dispatch_lag_p99": 60.0}
GAUGES = {
    "outbox_backlog": (
        "hep_outbox_backlog",
        "Outbox rows not yet final (pending, leased or waiting to retry).",
    ),
    "outbox_oldest_age": (
        "hep_outbox_oldest_age_seconds",
        "Age of the oldest outbox row not yet final (0 when none).",
    ),
    "reminder_oldest_overdue": (
        "hep_reminder_oldest_overdue_seconds",
        "How long the oldest reminder due now has waited for a dispatch tick to record it "
        "(0 when none): the part of dispatch lag that grows while no scheduler runs.",
    ),
    "replans_pending": (
        "hep_reminder_replans_pending",
        "Patients whose new records wait for the dispatch tick to replan their reminders.",
    ),
    "replan_oldest_age": (
        "hep_reminder_replan_oldest_age_seconds",
        "How long the oldest replan mark has waited for a dispatch tick (0 when none).",
    ),
    "flag_pending": (
        "hep_flag_evaluations_pending",
        "Patients whose new data waits for a flag evaluation.",
    ),
    "flag_oldest_pending": (
        "hep_flag_evaluation_oldest_pending_seconds",
        "How long the oldest unevaluated new data has waited (0 when none): the flag "
        "evaluation lag still accruing.",
    ),
    "audit_pages_waiting": (
        "hep_audit_pages_waiting",
        "Page reads whose audit events wait to be spread into one row each (in the trail already).",
    ),
    "audit_page_oldest_age": (
        "hep_audit_page_oldest_age_seconds",
        "How long the oldest page read's audit events have waited to be spread (0 when none).",
    ),
}


class BacklogCollector(Collector):
    """Gauges of :func:`read_backlogs`, read at each scrape in their own app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        ok = GaugeMetricFamily(
            "hep_backlog_read_ok", "1 when the backlogs below could be read from the database."
        )
        with self.app.app_context():
            try:
                values = read_backlogs(utcnow())
            except sa.exc.SQLAlchemyError as error:
                log.warning("backlog metrics unread", extra={"error": type(error).__name__})
                values = None
            finally:
                db.session.remove()
        ok.add_metric([], 1.0 if values is not None else 0.0)
        yield ok
        objectives = GaugeMetricFamily(
            "hep_slo_objective_seconds",
            "The service level objectives (README): the p99 each lag histogram must stay under.",
            labels=["objective"],
        )
        for name, seconds in OBJECTIVES.items():
            objectives.add_metric([name], seconds)
        yield objectives
        for key, value in (values or {}).items():
            name, documentation = GAUGES[key]
            yield GaugeMetricFamily(name, documentation, value=value)
