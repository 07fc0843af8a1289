"""The one results table, printed and written as markdown to bench/results/latest.md."""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = [
    "scenario",
    "backend",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "peak RSS/worker MB",
    "vs trivial",
    "vs bare insert",
    "vs bulk insert",
    "non-2xx",
]


@dataclass
class Row:
    """One measured scenario on one backend."""

    scenario: str
    backend: str
    connections: int
    throughput: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    non_2xx: int
    cpu_ms: float = math.nan
    config: str = ""
    vs_trivial: float = math.nan
    vs_bare: float = math.nan
    vs_bulk: float = math.nan
    statuses: dict[str, int] = field(default_factory=dict)

    def cells(self, with_config: bool = False) -> list[str]:
        return [
            *([self.config] if with_config else []),
            self.scenario,
            self.backend,
            str(self.connections),
            f"{self.throughput:.1f}" if self.throughput < 10 else f"{self.throughput:.0f}",
            f"{self.p50_ms:.1f}",
            f"{self.p99_ms:.1f}",
            "" if math.isnan(self.cpu_ms) else f"{self.cpu_ms:.2f}",
            f"{self.peak_rss_mb:.0f}",
            _ratio(self.vs_trivial),
            _ratio(self.vs_bare),
            _ratio(self.vs_bulk),
            str(self.non_2xx),
        ]


def median_of_rounds(rounds: list[Row]) -> Row:
    """One row for a scenario measured in several rounds: the median of each figure (the
    largest peak memory, every non-2xx answer counted)."""
    if len(rounds) == 1:
        return rounds[0]
    first = rounds[0]
    statuses: dict[str, int] = {}
    for row in rounds:
        for status, count in row.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Row(
        first.scenario,
        first.backend,
        first.connections,
        statistics.median(r.throughput for r in rounds),
        statistics.median(r.p50_ms for r in rounds),
        statistics.median(r.p99_ms for r in rounds),
        max(r.peak_rss_mb for r in rounds),
        sum(r.non_2xx for r in rounds),
        cpu_ms=statistics.median(r.cpu_ms for r in rounds),
        config=first.config,
        statuses=statuses,
    )


def round_order(scenarios: list[T], round_number: int) -> list[T]:
    """The order of a round: as listed in odd rounds, reversed in even ones. A shared host
    drifts within a run (its calibration loop has moved by 40 % between a run's start and end),
    and a fixed order would measure the references before the endpoints in every round, so a
    drift would always count for them or always against them."""
    return list(scenarios) if round_number % 2 else list(reversed(scenarios))


def round_ratios(
    backend: str, measured: dict[str, list[Row]], references: dict[str, str]
) -> list[str]:
    """Per round, each repeated scenario's throughput against the same round's measurement of
    its reference (``references``: scenario name → reference name), with its p50 and p99: the
    spread behind the medians in the table."""
    lines = []
    for name, rounds in measured.items():
        if len(rounds) < 2 or name not in references:
            continue
        reference = references[name]
        against = measured.get(reference, [])
        ratios = [
            f"{r.throughput / b.throughput:.1%}" for r, b in zip(rounds, against, strict=False)
        ]
        p50s = ", ".join(f"{r.p50_ms:.1f}" for r in rounds)
        p99s = ", ".join(f"{r.p99_ms:.1f}" for r in rounds)
        versus = f"vs {reference} {', '.join(ratios)}; " if ratios else ""
        lines.append(f"{backend} {name}, each round: {versus}p50 {p50s} ms; p99 {p99s} ms")
    return lines


def _ratio(value: float) -> str:
    if math.isnan(value):
        return ""
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def add_ratios(rows: list[Row]) -> None:
    """Fill each row's throughput ratios against the references of the same backend and config."""
    for row in rows:
        refs = {
            r.scenario: r.throughput
            for r in rows
            if r.backend == row.backend and r.config == row.config
        }
        trivial = refs.get("trivial (reference)")
        bare = refs.get("bare insert (reference)")
        bulk = [
            r.throughput
            for r in rows
            if r.backend == row.backend
            and r.config == row.config
            and r.connections == row.connections
            and r.scenario.startswith("bulk insert 500")
        ]
        if bulk and row.scenario.startswith(("sync", "bulk")):
            row.vs_bulk = row.throughput / bulk[0]
        if trivial:
            row.vs_trivial = row.throughput / trivial
        if bare:
            row.vs_bare = row.throughput / bare


def text_table(rows: list[Row], with_config: bool = False) -> str:
    """A fixed-width table for the terminal."""
    columns = ["config", *COLUMNS] if with_config else COLUMNS
    cells = [columns] + [r.cells(with_config) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(columns))) for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row], with_config: bool = False) -> str:
    """The same table as GitHub markdown."""
    columns = ["config", *COLUMNS] if with_config else COLUMNS
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r.cells(with_config)) + " |" for r in rows]
    return "\n".join(lines)


def calibration_ms(rounds: int = 5) -> float:
    """The best of ``rounds`` timings of a fixed pure-Python loop, in ms: how fast this machine
    runs Python right now, so runs on different (or shared, throttled) machines can be compared.
    """
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def cpu_times() -> tuple[int, int, int]:
    """(steal, total, busy) CPU time of the whole machine from /proc/stat so far, in ticks;
    zeros where there is none. Busy is what some process (or the kernel for it) ran: not idle,
    not waiting for I/O, not stolen.
    """
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0, 0, 0
    ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
    steal = ticks[7] if len(ticks) > 7 else 0
    return steal, sum(ticks), sum(ticks) - ticks[3] - ticks[4] - steal


def steal_share(before: tuple[int, ...], after: tuple[int, ...]) -> float:
    """The share of CPU time the hypervisor gave to other guests between two readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


def busy_ms(before: tuple[int, ...], after: tuple[int, ...]) -> float:
    """CPU milliseconds the whole machine spent busy between two readings."""
    return (after[2] - before[2]) * TICK_MS


def machine() -> str:
    """One line describing the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    python = platform.python_version()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, Python {python}, {platform.system()}; "
        f"load average at the end {load}"
    )


def write_markdown(sections: list[tuple[str, str]]) -> Path:
    """Write bench/results/latest.md from (heading, body) sections."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"# Benchmark results\n\n{stamp}; {machine()}.\n"]
    parts += [f"## {heading}\n\n{body}\n" for heading, body in sections]
    path = RESULTS / "latest.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
