"""Each threshold default and rule constant nudged one step either way, in a copy of the source:
the pure rule tests must fail for every nudge. mutmut does not mutate these (dataclass defaults
and module constants), so this is how they are held to the same standard.
"""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from server.flag_thresholds import Thresholds

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = "server/flag_thresholds.py"
REMINDERS = "server/reminders/rules.py"
ADHERENCE = "server/adherence/rules.py"
PROGRAMMES = "server/programmes/rules.py"
# One step of each threshold: a day, a pain point, or ten percentage points of a ratio.
RATIO_FIELDS = {"worsening_relative", "adherence_min", "progression_adherence"}
# Which pure tests answer for a source file (edges and pinned defaults first: they fail fastest).
TESTS = {
    THRESHOLDS: ["tests/flags/test_threshold_defaults.py"],
    REMINDERS: ["tests/reminders/test_rule_edges.py", "tests/reminders/test_rules.py"],
    ADHERENCE: ["tests/adherence/test_rule_edges.py", "tests/adherence/test_rules.py"],
    PROGRAMMES: ["tests/programmes/test_rule_edges.py", "tests/programmes/test_rules.py"],
}
# Constants deliberately left out, and why (listed in the report so nothing is silently skipped).
NOT_NUDGED = {
    "ONE_DAY (flags/episodes, adherence)": "a unit of the calendar, not a tunable default",
    "DOSAGE_KEYS, LOGGED_STATUSES, DIRECTIONS' names, KINDS": "names, not numbers",
    "MAX_ATTEMPTS (reminders)": "read only by the outbox, whose tests need a database",
    "EPOCH (reminders), one step earlier": (
        "a sentinel for 'no creation time': any instant before every real creation time is the "
        "same rule; one step later is caught"
    ),
}


@dataclasses.dataclass(frozen=True)
class Nudge:
    """One edit: in ``path``, the text ``old`` (exactly once) becomes ``new``."""

    name: str
    path: str
    old: str
    new: str


def _threshold_nudges() -> Iterator[Nudge]:
    source = (ROOT / THRESHOLDS).read_text()
    for spec in dataclasses.fields(Thresholds):
        match = re.search(rf"^    {spec.name}: (\w+) = ([0-9.]+)", source, re.MULTILINE)
        if match is None:
            raise LookupError(f"no default for {spec.name} in {THRESHOLDS}")
        step = 0.1 if spec.name in RATIO_FIELDS else 1
        value = float(match.group(2))
        for direction in (1, -1):
            nudged = round(value + direction * step, 2)
            text = f"{nudged:g}" if match.group(1) == "float" else str(int(nudged))
            new = match.group(0).replace(f"= {match.group(2)}", f"= {text}")
            yield Nudge(f"{spec.name} {match.group(2)} → {text}", THRESHOLDS, match.group(0), new)


def _pairs(path: str, old: str, *news: str) -> Iterator[Nudge]:
    for new in news:
        yield Nudge(f"{old} → {new}", path, old, new)


def constant_nudges() -> Iterator[Nudge]:
    """The rule modules' constants and the reminder context's defaults, one step either way."""
    r, a, p = REMINDERS, ADHERENCE, PROGRAMMES
    yield from _pairs(
        r, "SESSION: timedelta(minutes=30)", *(f"SESSION: timedelta(minutes={m})" for m in (29, 31))
    )
    yield from _pairs(
        r,
        "POSTURE_BREAK: timedelta(minutes=5)",
        *(f"POSTURE_BREAK: timedelta(minutes={m})" for m in (4, 6)),
    )
    yield from _pairs(
        r,
        "MEASURE: timedelta(hours=2)",
        "MEASURE: timedelta(hours=2, minutes=-1)",
        "MEASURE: timedelta(hours=2, minutes=1)",
    )
    yield from _pairs(
        r,
        "MEASURE_LOCAL_TIME = time(10, 0)",
        "MEASURE_LOCAL_TIME = time(9, 59)",
        "MEASURE_LOCAL_TIME = time(10, 1)",
    )
    yield from _pairs(
        r,
        "CATCH_UP_WINDOW = timedelta(hours=24)",
        "CATCH_UP_WINDOW = timedelta(hours=23)",
        "CATCH_UP_WINDOW = timedelta(hours=25)",
    )
    yield from _pairs(r, "HORIZON_DAYS = 31", "HORIZON_DAYS = 30", "HORIZON_DAYS = 32")
    yield from _pairs(
        r,
        "SNOOZE_MINUTES = (10, 20, 30)",
        "SNOOZE_MINUTES = (9, 20, 30)",
        "SNOOZE_MINUTES = (11, 20, 30)",
        "SNOOZE_MINUTES = (10, 19, 30)",
        "SNOOZE_MINUTES = (10, 21, 30)",
        "SNOOZE_MINUTES = (10, 20, 29)",
        "SNOOZE_MINUTES = (10, 20, 31)",
    )
    yield from _pairs(
        r,
        "EPOCH = datetime(1970, 1, 1, tzinfo=UTC)",
        "EPOCH = datetime(1970, 1, 1, 0, 1, tzinfo=UTC)",
    )
    yield from _pairs(
        r,
        "DIGEST_LOCAL_TIME = time(8, 0)",
        "DIGEST_LOCAL_TIME = time(7, 59)",
        "DIGEST_LOCAL_TIME = time(8, 1)",
    )
    yield from _pairs(
        r,
        "RETRY_BASE = timedelta(seconds=30)",
        "RETRY_BASE = timedelta(seconds=29)",
        "RETRY_BASE = timedelta(seconds=31)",
    )
    yield from _pairs(
        r,
        "RETRY_MAX = timedelta(hours=1)",
        "RETRY_MAX = timedelta(minutes=59)",
        "RETRY_MAX = timedelta(minutes=61)",
    )
    for field, (hour, minute) in {
        "quiet_start": (22, 0),
        "quiet_end": (7, 0),
        "work_start": (9, 0),
        "work_end": (18, 0),
    }.items():
        old = f"{field}: time = time({hour}, {minute})"
        yield from _pairs(
            r, old, f"{field}: time = time({hour - 1}, 59)", f"{field}: time = time({hour}, 1)"
        )
    days = "work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})"
    yield from _pairs(r, days, days.replace("5}", "5, 6}"), days.replace(", 5}", "}"))
    ranks = 'STATUS_RANK = {"skipped": 1, "partial": 2, "completed": 3}'
    for status, rank in (("skipped", 1), ("partial", 2), ("completed", 3)):
        for moved in (rank - 1, rank + 1):
            yield from _pairs(
                a, ranks, ranks.replace(f'"{status}": {rank}', f'"{status}": {moved}')
            )
    credit = 'CREDIT = {"completed": 1.0, "partial": 0.5, "skipped": 0.0}'
    for status, value in (("completed", 1.0), ("partial", 0.5), ("skipped", 0.0)):
        for moved in (value - 0.1, value + 0.1):
            yield from _pairs(
                a, credit, credit.replace(f'"{status}": {value}', f'"{status}": {moved:.1f}')
            )
    directions = 'DIRECTIONS = {"progress": 1, "regress": -1}'
    for changed in ('"progress": 0', '"progress": 2', '"regress": 0', '"regress": -2'):
        key = changed.split(":")[0]
        original = '"progress": 1' if key == '"progress"' else '"regress": -1'
        yield from _pairs(p, directions, directions.replace(original, changed))


def all_nudges() -> list[Nudge]:
    return [*_threshold_nudges(), *constant_nudges()]


def _copy_tree(target: Path) -> None:
    # Bytecode caches come along (copy2 keeps the mtimes they are checked against): only the
    # nudged module is compiled again.
    for name in ("server", "tests"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


class _FirstFailure:
    """A pytest plugin that remembers the first failing test."""

    def __init__(self) -> None:
        self.failed: str | None = None

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed and self.failed is None:
            self.failed = report.nodeid


def _run_pytest_in(target: Path, tests: list[str]) -> tuple[int, str | None]:
    """In this (forked) process: forget the project's modules, import them from ``target``, run
    ``tests`` quietly. Flask, SQLAlchemy and pytest stay imported from the parent: that is the
    saving over a fresh interpreter per nudge."""
    import pytest

    for name in [m for m in sys.modules if m.split(".")[0] in {"server", "tests"}]:
        del sys.modules[name]
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    os.chdir(target)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    collector = _FirstFailure()
    args = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"]
    code = pytest.main([*args, "--hypothesis-profile=mutation", *tests], plugins=[collector])
    return int(code), collector.failed


def check(nudge: Nudge) -> tuple[Nudge, str]:
    """Apply ``nudge`` in a fresh copy, run the pure tests: the first failing test, or why not."""
    with tempfile.TemporaryDirectory(prefix="nudge-") as tmp:
        target = Path(tmp)
        _copy_tree(target)
        source = target / nudge.path
        text = source.read_text()
        if text.count(nudge.old) != 1:
            return nudge, f"ERROR: {nudge.old!r} is not in {nudge.path} exactly once"
        source.write_text(text.replace(nudge.old, nudge.new))
        code, failed = _run_pytest_in(target, TESTS[nudge.path])
    if code == 0:
        return nudge, "SURVIVED"
    if code != 1 or failed is None:
        return nudge, f"ERROR: pytest exit {code}"
    return nudge, failed.split("::", 1)[1]


def _preload() -> None:
    """Import the heavy third-party packages once, before the workers fork (not pytest or its
    plugins: pytest must import those itself to rewrite their asserts)."""
    import argon2  # noqa: F401
    import psycopg  # noqa: F401

    import server.flags.services
    import server.reminders.services  # noqa: F401


def run_all(jobs: int) -> int:
    """Check every nudge (each in a process forked from a warm parent); print one line each;
    return how many were not caught."""
    nudges = all_nudges()
    _preload()
    missed = 0
    fork = multiprocessing.get_context("fork")
    with fork.Pool(processes=jobs, maxtasksperchild=1) as pool:
        for nudge, verdict in pool.imap(check, nudges):
            caught = not verdict.startswith(("SURVIVED", "ERROR"))
            missed += not caught
            print(f"  {'caught' if caught else 'NOT CAUGHT':10} {nudge.name:70} {verdict}")
    print(f"  {len(nudges) - missed} of {len(nudges)} nudges caught")
    for name, reason in NOT_NUDGED.items():
        print(f"  not nudged: {name}: {reason}")
    return missed
