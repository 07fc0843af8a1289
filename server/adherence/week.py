"""The patient list's 7-day adherence of a page of patients at once, their ids as text: the
revisions and the maintained day summary (``SessionDay``) read in two statements, what each
window prescribes worked out once per shared schedule (``week_rules``)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.adherence import rules, week_rules
from server.adherence.rules import Revision
from server.adherence.services import WEEK, parsed_json, revisions_statement
from server.clock import day_bounds_utc, days_between, local_date_of
from server.database.any_of import any_key_of, id_text, key_rows
from server.database.dates import day_offset
from server.extensions import db
from server.tracking.models import SessionDay


def adherence_7d_by_key(
    patients: Sequence[tuple[str, str]], now: datetime
) -> dict[str, float | None]:
    """Session adherence over each patient's last 7 local days (today included), by key text,
    the patients given as (key text, time zone): two queries, the logs read from their maintained
    day summary (``SessionDay``). Sessions of today not logged yet are pending and do not count
    against the ratio; None when nothing was due (no programme in force). The same ratio as
    ``totals_of`` the daily rows of ``adherence_by_patient``, without building them."""
    if not patients:
        return {}
    # A page's patients share a few time zones: each zone's today and week worked out once, and
    # where the week's first day ends (a revision in effect by then may be in force throughout).
    zones = {tz: ZoneInfo(tz) for tz in {tz for _, tz in patients}}
    todays = {tz: local_date_of(now, zone) for tz, zone in zones.items()}
    weeks = {today: days_between(today - WEEK, today) for today in todays.values()}
    first_ends = {tz: day_bounds_utc(weeks[today][0], zones[tz])[1] for tz, today in todays.items()}
    keys = [key for key, _ in patients]
    first = min(todays.values()) - WEEK
    revisions = revisions_by_key(keys)
    ranks = _packed_ranks(keys, first, max(todays.values()), revisions)
    ratios: dict[str, float | None] = {}
    # What is prescribed depends on the schedules in force and the day: worked out once for
    # the patients who share them (the revisions of one template share its parsed schedule).
    prescribed: dict[tuple[Any, ...], list[week_rules.SlotDays]] = {}
    for key, timezone in patients:
        today = todays[timezone]
        week = weeks[today]
        own = revisions[key]
        in_force: list[Revision | None] | None = None
        if len(own) == 1 and _throughout(own[0], week, first_ends[timezone]):
            shared: tuple[Any, ...] = (today, id(own[0].schedule))  # most patients
        else:
            in_force = rules.revisions_in_force(own, week, zones[timezone])
            shared = (today, *[None if r is None else id(r.schedule) for r in in_force])
        if shared not in prescribed:
            prescribed[shared] = week_rules.prescribed_in_window(
                days=week, revisions=in_force or [own[0]] * len(week), first=first, today=today
            )
        ratios[key] = week_rules.packed_ratio(prescribed[shared], ranks.get(key, {}))
    return ratios


def _throughout(revision: Revision, week: list[date], first_end: datetime) -> bool:
    """Whether a patient's only revision is in force on every day of ``week``
    (``rules.revisions_in_force``): its programme spans the week and it took effect before the
    week's first day ended (``first_end``), so each later day too."""
    start, end = revision.start_date, revision.end_date
    spans = start <= week[0] and (end is None or week[-1] <= end)
    return spans and revision.effective_at < first_end


def revisions_by_key(keys: list[str]) -> dict[str, list[Revision]]:
    """Every programme revision of the patients with these key texts (``id_text``), in one
    query; a revision's ``programme_id`` is its key text too, and its posture-break rule is not
    read (None): the 7-day ratio counts sessions only."""
    found: dict[str, list[Revision]] = {key: [] for key in keys}
    rows = db.session.connection().execute(revisions_statement(as_keys=True), {"ids": keys}).all()
    for row in rows:
        *fields, schedule = row[1:]
        found[row[0]].append(Revision(*fields, parsed_json(schedule), None))
    return found


def _scheduled_slots(revisions: dict[str, list[Revision]]) -> list[str]:
    """Every slot a schedule of these revisions names, in a fixed order: the only slots whose
    ranks a ratio reads (``week_rules.prescribed_in_window`` takes its slots from them)."""
    schedules = {id(r.schedule): r.schedule for each in revisions.values() for r in each}
    return sorted({s["slot"] for schedule in schedules.values() for s in schedule.get("slots", [])})


def _packed_ranks(
    keys: list[str], first: date, last: date, revisions: dict[str, list[Revision]]
) -> dict[str, dict[str, int]]:
    """Each patient's (by key text) best status ranks per logged slot from ``first`` to ``last``,
    from the maintained day summary, packed two bits a day from ``first``
    (``rules.packed_window_ratio``): one row per patient, one sum per slot the ``revisions``'
    schedules name (the others no ratio reads), so a page reads few rows and values.
    """
    ranks: dict[str, dict[str, int]] = defaultdict(dict)
    slots = _scheduled_slots(revisions)
    if not slots:
        return ranks
    params: dict[str, Any] = {"ids": keys, "first": first, "last": last}
    params.update((f"slot_{i}", slot) for i, slot in enumerate(slots))
    connection = db.session.connection()
    statement = _ranks_by_slot(connection.dialect.name, len(slots))
    for key, *packed in connection.execute(statement, params).all():
        ranks[key] = {slot: p for slot, p in zip(slots, packed, strict=True) if p is not None}
    return ranks


def _packed_sum() -> tuple[sa.ColumnElement[int], tuple[sa.ColumnElement[bool], ...]]:
    """Each day's best rank moved to its two bits from ``:first``, to be summed; and the window."""
    first = sa.bindparam("first", type_=sa.Date())
    shift = 2 * day_offset(SessionDay.local_date, first)
    window = (
        SessionDay.local_date >= first,
        SessionDay.local_date <= sa.bindparam("last", type_=sa.Date()),
    )
    return SessionDay.best_rank.op("<<")(shift), window


@functools.lru_cache(maxsize=64)
def _ranks_by_slot(dialect: str, count: int) -> sa.Select[Any]:
    """Per number of slots: one sum per slot ``:slot_<i>`` (``FILTER``) of each key's days, not
    a group per slot sorted out of them (on SQLite a third less of the statement's time, on
    PostgreSQL of the backend's CPU). PostgreSQL reads each key's days by itself (``LATERAL``,
    not the whole page's sorted by patient: a fifth less of the backend's CPU for a page of 200).
    Built once per count, its parameters left open."""
    packed, window = _packed_sum()
    sums = [
        sa.func.sum(packed, type_=sa.Integer())
        .filter(SessionDay.slot == sa.bindparam(f"slot_{i}", type_=sa.String()))
        .label(f"slot_{i}")
        for i in range(count)
    ]
    if dialect != "postgresql":
        return (
            sa.select(id_text(SessionDay.patient_id), *sums)
            .where(any_key_of(SessionDay.patient_id), *window)
            .group_by(SessionDay.patient_id)
        )
    keys = key_rows()
    slots = sa.select(*sums).where(SessionDay.patient_id == keys.c.id, *window).lateral("slots")
    columns = (id_text(keys.c.id), *(slots.c[f"slot_{i}"] for i in range(count)))
    return sa.select(*columns).select_from(keys).join(slots, sa.true())
