"""The bench's report: a scenario measured in several rounds shows each figure's median."""

from __future__ import annotations

from bench.report import Row, add_ratios, median_of_rounds, round_order, round_ratios


def _row(scenario: str, throughput: float, p99: float, **extra: object) -> Row:
    return Row(scenario, "sqlite", 16, throughput, p99 / 2, p99, 80.0, 0, cpu_ms=1.0, **extra)


def test_a_repeated_scenario_shows_the_median_of_each_figure() -> None:
    rounds = [
        _row("POST", 900, 30.0, statuses={"201": 9}),
        _row("POST", 1100, 20.0, statuses={"201": 11}),
        Row("POST", "sqlite", 16, 1000, 12.0, 60.0, 95.0, 1, 2.0, statuses={"201": 9, "500": 1}),
    ]
    merged = median_of_rounds(rounds)
    assert (merged.throughput, merged.p99_ms, merged.p50_ms) == (1000, 30.0, 12.0)
    assert (merged.cpu_ms, merged.peak_rss_mb, merged.non_2xx) == (1.0, 95.0, 1)
    assert merged.statuses == {"201": 29, "500": 1}
    assert median_of_rounds(rounds[:1]) is rounds[0]


def test_each_rounds_ratio_is_against_the_same_rounds_own_reference() -> None:
    bare, bulk = "bare insert (reference)", "bulk insert 500 (reference)"
    measured = {
        bare: [_row(bare, t, 10) for t in (2000, 1000)],
        bulk: [_row(bulk, t, 10) for t in (40, 20)],
        "POST": [_row("POST", 1200, 25.0), _row("POST", 700, 31.5)],
        "sync": [_row("sync", 10, 400.0), _row("sync", 8, 500.0)],
        "login": [_row("login", 70, 200)],
    }
    references = {"POST": bare, "sync": bulk, "login": bare}
    assert round_ratios("sqlite", measured, references) == [
        f"sqlite POST, each round: vs {bare} 60.0%, 70.0%; p50 12.5, 15.8 ms; p99 25.0, 31.5 ms",
        f"sqlite sync, each round: vs {bulk} 25.0%, 40.0%; p50 200.0, 250.0 ms; "
        "p99 400.0, 500.0 ms",
    ]


def test_a_sync_is_measured_against_the_bulk_reference_of_its_connections() -> None:
    rows = [
        Row("bulk insert 500 (1 conn, reference)", "sqlite", 1, 20, 1, 1, 80, 0),
        Row("sync 500 items (1 conn)", "sqlite", 1, 5, 1, 1, 80, 0),
        Row("bulk insert 500 (reference)", "sqlite", 16, 40, 1, 1, 80, 0),
        Row("sync 500 items", "sqlite", 16, 4, 1, 1, 80, 0),
        Row("POST", "sqlite", 16, 400, 1, 1, 80, 0),
    ]
    add_ratios(rows)
    assert [round(r.vs_bulk, 2) for r in rows[:4]] == [1.0, 0.25, 1.0, 0.1]
    assert rows[4].vs_bulk != rows[4].vs_bulk  # NaN: not a bulk write


def test_ratios_use_the_references_of_the_same_backend_and_config() -> None:
    rows = [
        _row("bare insert (reference)", 2000, 10),
        _row("POST", 1000, 20),
        _row("bare insert (reference)", 500, 10, config="sync w=5"),
        _row("POST", 400, 20, config="sync w=5"),
    ]
    add_ratios(rows)
    assert [round(r.vs_bare, 2) for r in rows] == [1.0, 0.5, 1.0, 0.8]


def test_rounds_alternate_their_order_so_a_drifting_host_favours_no_scenario() -> None:
    scenarios = ["trivial", "bare insert", "POST", "plan"]
    assert round_order(scenarios, 1) == scenarios
    assert round_order(scenarios, 2) == ["plan", "POST", "bare insert", "trivial"]
    assert round_order(scenarios, 3) == scenarios
    assert scenarios == ["trivial", "bare insert", "POST", "plan"]  # the caller's list untouched
