"""Pure rules at send time: a reminder's push judged again before it goes out (a retry, a
late tick, a snooze ending), and the backoff between attempts. No database, no Flask."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.reminders.rules import (
    GRACE,
    MEASURE,
    POSTURE_BREAK,
    SESSION,
    ReminderContext,
    in_quiet_hours,
    working_window_utc,
)

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 6


def withheld_status(
    kind: str,
    local_date: date,
    slot: str | None,
    queued_at: datetime,
    ctx: ReminderContext,
    at: datetime,
) -> str | None:
    """Why a reminder's push, queued at ``queued_at``, must not go out at ``at`` after all (a
    retry, a tick running late, a snooze ending): ``suppressed`` when reminders are off, ``at``
    falls in quiet hours (or, for a posture break, outside the working window), or the session
    or a posture break was logged meanwhile; ``missed`` past its grace since it was queued.
    None: send it."""
    local = at.astimezone(ctx.tz)
    if not ctx.reminders_enabled or in_quiet_hours(local.time(), ctx.quiet_start, ctx.quiet_end):
        return "suppressed"
    if kind == SESSION and (local_date, slot) in ctx.logged_sessions:
        return "suppressed"
    if kind == MEASURE and local_date not in ctx.measures_due:  # answered meanwhile
        return "suppressed"
    if kind == POSTURE_BREAK:
        window = working_window_utc(ctx, local.date())
        last_break = ctx.last_posture_break_at
        outside = window is None or not window[0] <= at <= window[1]
        if outside or (last_break is not None and last_break >= queued_at):
            return "suppressed"
    if at - queued_at > GRACE[kind]:
        return "missed"
    return None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … ≤ 1 h."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)
