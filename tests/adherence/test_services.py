"""Adherence against hand-computed tables: partial = ½, a revision change mid-window, a DST week.

Each table lists, per local day: prescribed, completed, partial, skipped, missing, posture
breaks prescribed and logged, ratio.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.accounts.models import Patient
from server.adherence.rules import totals_of
from server.adherence.services import adherence_by_patient, adherence_report
from server.adherence.week import adherence_7d_by_key
from server.clock import local_to_utc
from server.database.any_of import key_of
from server.extensions import db
from server.flags.inputs import reported_baseline
from tests.adherence.conftest import pain, posture_break, session, statements

TWICE_DAILY = {
    "days": [1, 2, 3, 4, 5, 6, 7],
    "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
}
MON_WED_FRI_MORNINGS = {"days": [1, 3, 5], "slots": [{"slot": "morning", "time": "08:00"}]}
EVERY_45 = {"enabled": True, "interval_minutes": 45}
EVERY_30 = {"enabled": True, "interval_minutes": 30}
ISTANBUL = ZoneInfo("Europe/Istanbul")
MONDAY = date(2026, 3, 2)


def _rows(report) -> list[tuple]:
    return [
        (
            d.day.strftime("%a"),
            d.sessions_prescribed,
            d.completed,
            d.partial,
            d.skipped,
            d.missing,
            d.posture_breaks_prescribed,
            d.posture_breaks_logged,
            d.ratio,
        )
        for d in report.days
    ]


def _report(patient_id, start, end, now):
    return adherence_report(
        patient=db.session.get(Patient, patient_id), start=start, end=end, actor=None, now=now
    )


def adherence_7d_for_patients(patients, now) -> dict:
    """The list's 7-day adherence (``adherence_7d_by_key``) of patients given as ids (loaded in
    one query) or rows, by id."""
    ids = [p for p in patients if not isinstance(p, Patient)]
    rows = [p for p in patients if isinstance(p, Patient)]
    if ids:
        rows += db.session.scalars(sa.select(Patient).where(Patient.id.in_(ids))).all()
    dialect = db.session.get_bind().dialect
    keys = {key_of(p.id, dialect): p.id for p in rows}
    by_key = adherence_7d_by_key([(key_of(p.id, dialect), p.timezone) for p in rows], now)
    return {**dict.fromkeys(ids), **{keys[key]: ratio for key, ratio in by_key.items()}}


def test_a_week_with_partials_and_a_revision_change_mid_window(
    app, make_patient, make_programme, add_revision, ingest
) -> None:
    patient = make_patient(timezone="Europe/Istanbul")
    programme = make_programme(
        patient,
        start_date=MONDAY,
        schedule=TWICE_DAILY,
        posture_breaks=EVERY_45,
        effective_at=local_to_utc(MONDAY, time(0, 0), ISTANBUL),
    )
    thursday = MONDAY + timedelta(days=3)
    # Revision 2 from Thursday noon: Mon/Wed/Fri mornings only, breaks every 30 minutes.
    add_revision(
        programme,
        2,
        schedule=MON_WED_FRI_MORNINGS,
        posture_breaks=EVERY_30,
        effective_at=local_to_utc(thursday, time(12, 0), ISTANBUL),
    )
    day = [MONDAY + timedelta(days=n) for n in range(7)]
    now = local_to_utc(day[6] + timedelta(days=1), time(12, 0), ISTANBUL)
    ingest(
        patient,
        now,
        session(day[0], "morning", "completed", ISTANBUL),
        session(day[0], "evening", "partial", ISTANBUL),
        session(day[1], "morning", "skipped", ISTANBUL),
        session(day[2], "morning", "skipped", ISTANBUL),
        session(day[2], "morning", "completed", ISTANBUL),  # the better log of a slot counts
        session(day[2], "evening", "completed", ISTANBUL),
        session(day[3], "morning", "completed", ISTANBUL),  # not prescribed on Thursday any more
        session(day[4], "morning", "partial", ISTANBUL),
        *[posture_break(local_to_utc(day[0], time(10 + n, 0), ISTANBUL)) for n in range(5)],
        *[posture_break(local_to_utc(day[4], time(10 + n, 0), ISTANBUL)) for n in range(3)],
        posture_break(local_to_utc(day[5], time(11, 0), ISTANBUL)),
    )

    with app.app_context():
        report = _report(patient.id, day[0], day[6], now)

    assert _rows(report) == [
        # day   presc done part skip miss breaks logged ratio
        ("Mon", 2, 1, 1, 0, 0, 12, 5, 0.75),
        ("Tue", 2, 0, 0, 1, 1, 12, 0, 0.0),
        ("Wed", 2, 2, 0, 0, 0, 12, 0, 1.0),
        ("Thu", 0, 0, 0, 0, 0, 18, 0, None),
        ("Fri", 1, 0, 1, 0, 0, 18, 3, 0.5),
        ("Sat", 0, 0, 0, 0, 0, 0, 1, None),
        ("Sun", 0, 0, 0, 0, 0, 0, 0, None),
    ]
    assert [d.revision_number for d in report.days] == [1, 1, 1, 2, 2, 2, 2]
    totals = report.totals
    assert (totals.sessions_prescribed, totals.completed, totals.partial) == (7, 3, 2)
    assert (totals.skipped, totals.missing, totals.pending) == (1, 1, 0)
    assert (totals.posture_breaks_prescribed, totals.posture_breaks_logged) == (72, 9)
    assert totals.ratio == pytest.approx(4 / 7)


def test_days_before_the_programme_start_prescribe_nothing(app, make_patient, make_programme):
    patient = make_patient(timezone="Europe/Istanbul")
    make_programme(patient, start_date=MONDAY + timedelta(days=2), schedule=TWICE_DAILY)
    now = local_to_utc(MONDAY + timedelta(days=4), time(12, 0), ISTANBUL)
    with app.app_context():
        report = _report(patient.id, MONDAY, MONDAY + timedelta(days=3), now)
    assert [d.sessions_prescribed for d in report.days] == [0, 0, 2, 2]
    assert [d.missing for d in report.days] == [0, 0, 2, 2]


def test_unlogged_sessions_of_today_are_pending_not_missing(
    app, make_patient, make_programme, ingest
) -> None:
    patient = make_patient(timezone="Europe/Istanbul")
    make_programme(patient, start_date=MONDAY, schedule=TWICE_DAILY)
    now = local_to_utc(MONDAY, time(12, 0), ISTANBUL)
    ingest(patient, now, session(MONDAY, "morning", "completed", ISTANBUL, hour=9))
    with app.app_context():
        (today,) = _report(patient.id, MONDAY, MONDAY, now).days
    assert (today.completed, today.missing, today.pending, today.ratio) == (1, 0, 1, 1.0)


def test_a_dst_week_uses_local_dates_and_wall_clock_windows(
    app, make_patient, make_programme, add_revision, ingest
) -> None:
    new_york = ZoneInfo("America/New_York")  # DST starts Sunday 2026-03-08 at 02:00
    patient = make_patient(timezone="America/New_York")
    friday, monday = date(2026, 3, 6), date(2026, 3, 9)
    programme = make_programme(
        patient,
        start_date=friday,
        schedule=TWICE_DAILY,
        posture_breaks=EVERY_45,
        effective_at=local_to_utc(friday, time(0, 0), new_york),
    )
    # 04:30 UTC on Monday the 9th is 00:30 EDT Monday: not in force on (23-hour) Sunday.
    # Assuming EST all week would put it at 23:30 Sunday.
    add_revision(
        programme,
        2,
        schedule=MON_WED_FRI_MORNINGS,
        posture_breaks=EVERY_30,
        effective_at=datetime.fromisoformat("2026-03-09T04:30:00+00:00"),
    )
    now = datetime.fromisoformat("2026-03-11T17:00:00+00:00")
    sunday_late = datetime.fromisoformat("2026-03-08T04:30:00+00:00")  # Sat 23:30 EST
    monday_early = datetime.fromisoformat("2026-03-09T04:30:00+00:00")  # Mon 00:30 EDT
    ingest(
        patient,
        now,
        session(friday, "morning", "completed", new_york),
        session(friday, "evening", "completed", new_york),
        session(date(2026, 3, 7), "morning", "partial", new_york),
        session(date(2026, 3, 8), "morning", "completed", new_york),
        session(date(2026, 3, 8), "evening", "skipped", new_york),
        session(monday, "morning", "completed", new_york),
        posture_break(sunday_late),
        posture_break(monday_early),
        posture_break(datetime.fromisoformat("2026-03-09T13:00:00+00:00")),  # Mon 09:00 EDT
    )

    with app.app_context():
        report = _report(patient.id, friday, date(2026, 3, 10), now)

    assert _rows(report) == [
        ("Fri", 2, 2, 0, 0, 0, 12, 0, 1.0),
        ("Sat", 2, 0, 1, 0, 1, 0, 1, 0.25),
        ("Sun", 2, 1, 0, 1, 0, 0, 0, 0.5),
        ("Mon", 1, 1, 0, 0, 0, 18, 2, 1.0),
        ("Tue", 0, 0, 0, 0, 0, 18, 0, None),
    ]
    assert report.totals.ratio == pytest.approx((2 + 0.5 + 1 + 1) / 7)


def test_adherence_7d_for_many_patients_in_a_fixed_number_of_queries(
    app, make_patient, make_programme, ingest
) -> None:
    now = local_to_utc(MONDAY + timedelta(days=10), time(21, 0), ISTANBUL)
    today = MONDAY + timedelta(days=10)
    patients = [make_patient(timezone="Europe/Istanbul") for _ in range(3)]
    for patient in patients[:2]:
        make_programme(patient, start_date=MONDAY, schedule=TWICE_DAILY)
    # Patient 0 did every session of the last 7 days; patient 1 only the mornings.
    for offset in range(7):
        day = today - timedelta(days=offset)
        ingest(patients[0], now, session(day, "morning", "completed", ISTANBUL, hour=9))
        ingest(patients[0], now, session(day, "evening", "completed", ISTANBUL, hour=20))
        ingest(patients[1], now, session(day, "morning", "completed", ISTANBUL, hour=9))

    with app.app_context(), statements() as seen:
        ratios = adherence_7d_for_patients([p.id for p in patients], now)

    # Patient 1: 7 mornings done of 13 sessions due; today's evening is still pending.
    assert ratios == {patients[0].id: 1.0, patients[1].id: 7 / 13, patients[2].id: None}
    assert len(seen) <= 4
    with app.app_context(), statements() as seen:
        rows = db.session.scalars(sa.select(Patient).where(Patient.id.in_(ratios))).all()
        assert adherence_7d_for_patients(rows, now) == ratios
    assert len(seen) <= 4  # the patients' query and three grouped ones


def test_adherence_7d_of_patients_without_schedules_reads_no_logs(
    app, make_patient, ingest
) -> None:
    """Nothing is due without a programme, whatever was logged: no ratio, and the logs of slots
    no schedule names are not read at all (the revisions' query only)."""
    now = local_to_utc(MONDAY + timedelta(days=10), time(21, 0), ISTANBUL)
    patients = [make_patient(timezone="Europe/Istanbul") for _ in range(2)]
    ingest(patients[0], now, session(MONDAY + timedelta(days=9), "morning", "completed", ISTANBUL))

    with app.app_context(), statements() as seen:
        ratios = adherence_7d_for_patients([p.id for p in patients], now)

    assert ratios == {patients[0].id: None, patients[1].id: None}
    assert len(seen) == 2  # the patients' query, the revisions


def test_adherence_7d_matches_the_totals_of_the_daily_report(
    app, make_patient, make_programme, add_revision, ingest
) -> None:
    """The summary's shortcut and the per-day report agree, across zones, a revision taking
    effect mid-week, a programme starting mid-week, duplicate and unscheduled logs.
    """
    now = datetime.fromisoformat("2026-03-11T23:30:00+00:00")  # Thursday in Istanbul already
    zones = ["Europe/Istanbul", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]
    patients = [make_patient(timezone=zone) for zone in zones]
    for n, patient in enumerate(patients):
        tz = ZoneInfo(zones[n])
        start = MONDAY + timedelta(days=n)  # the last starts mid-week
        programme = make_programme(patient, start_date=start, schedule=TWICE_DAILY)
        if n % 2 == 0:
            effective = local_to_utc(MONDAY + timedelta(days=5), time(15, 0), tz)
            add_revision(
                programme,
                2,
                schedule=MON_WED_FRI_MORNINGS,
                posture_breaks=EVERY_30,
                effective_at=effective,
            )
        records = []
        for offset in range(-2, 11):
            day = MONDAY + timedelta(days=offset)
            status = ("completed", "partial", "skipped")[(offset + n) % 3]
            if (offset + n) % 4:
                records.append(session(day, "morning", status, tz, hour=9))
            if (offset + n) % 3 == 0:
                records.append(session(day, "evening", "skipped", tz))
                records.append(session(day, "evening", "partial", tz, hour=21))
            if offset % 5 == 0:
                records.append(session(day, "lunch", "completed", tz, hour=13))
        sent = [r for r in records if datetime.fromisoformat(r[1]["recorded_at"]) <= now]
        ingest(patient, now, *sent)

    with app.app_context():
        rows = db.session.scalars(sa.select(Patient).where(Patient.id.in_(p.id for p in patients)))
        rows = rows.all()
        for instant in (now, now + timedelta(hours=9), now - timedelta(days=3)):
            weeks = {}
            for row in rows:
                today = instant.astimezone(ZoneInfo(row.timezone)).date()
                weeks[row.id] = (today - timedelta(days=6), today)
            daily = adherence_by_patient(rows, weeks, instant)
            expected = {row.id: totals_of(daily[row.id]).ratio for row in rows}
            assert adherence_7d_for_patients(rows, instant) == expected
            assert len(set(expected.values())) > 1


def test_reported_baseline_is_the_therapists_else_first_seven_days_else_none(
    app, make_patient, make_programme, ingest
) -> None:
    given = make_patient(timezone="Europe/Istanbul")
    make_programme(given, start_date=MONDAY, baseline_pain=2.5)
    derived = make_patient(timezone="Europe/Istanbul")
    make_programme(derived, start_date=MONDAY)
    now = local_to_utc(MONDAY + timedelta(days=20), time(12, 0), ISTANBUL)
    # Daily max on 8 days with data: 4, 2, 6, 3, 3, 5, 1 (first seven), then 9 (ignored).
    scores = [4, 2, 6, 3, 3, 5, 1, 9]
    records = []
    for offset, score in enumerate(scores):
        at = local_to_utc(MONDAY + timedelta(days=2 * offset), time(9, 0), ISTANBUL)
        records += [pain(at, score), pain(at + timedelta(hours=1), max(score - 1, 0))]
    ingest(derived, now, *records)
    nobody = make_patient(timezone="Europe/Istanbul")

    def baseline(handle) -> tuple[float | None, str, int]:
        found = reported_baseline(db.session.get(Patient, handle.id), now)
        return found.value, found.source, found.days_used

    with app.app_context():
        assert baseline(given) == (2.5, "therapist", 0)
        assert baseline(derived) == (3.0, "derived", 7)
        assert baseline(nobody) == (None, "none", 0)
