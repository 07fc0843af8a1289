"""Pure account rules: invitation codes, time zones, clock times, preferences, 7-day pain."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.accounts.passwords import password_problems
from server.accounts.rules import (
    INVITE_ALPHABET,
    INVITE_LENGTH,
    account_key_digest,
    invite_digest,
    is_iana_timezone,
    mean_daily_pain,
    new_invite_code,
    normalise_email,
    normalise_invite_code,
    parse_clock,
    quiet_hours_problems,
    working_hours_problems,
)

TODAY = date(2026, 3, 29)


def test_invite_codes_are_readable_and_unpredictable() -> None:
    codes = {new_invite_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == INVITE_LENGTH
        assert set(code) <= set(INVITE_ALPHABET)
    assert not set("0O1IL5S2ZB") & set(INVITE_ALPHABET)


@given(st.text(alphabet=INVITE_ALPHABET, min_size=INVITE_LENGTH, max_size=INVITE_LENGTH))
@settings(max_examples=100)
def test_typed_variants_of_a_code_have_the_same_digest(code: str) -> None:
    typed = f" {code[:5].lower()}-{code[5:]}\t"
    assert normalise_invite_code(typed) == code
    assert invite_digest(typed, "key") == invite_digest(code, "key")
    assert invite_digest(code, "key") != invite_digest(code, "other-key")


def test_account_keys_do_not_reveal_the_account() -> None:
    key = account_key_digest(" Someone@Mail.example ")
    assert key == account_key_digest("someone@mail.example")
    assert "someone" not in key
    assert len(key) == 32


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Istanbul", True),
        ("America/Argentina/Buenos_Aires", True),
        ("UTC", True),
        ("europe/istanbul", False),
        ("Mars/Olympus", False),
        ("../../etc/passwd", False),
        ("", False),
    ],
)
def test_iana_time_zones(name: str, known: bool) -> None:
    assert is_iana_timezone(name) is known


@pytest.mark.parametrize(
    ("text", "expected"),
    [("00:00", time(0, 0)), ("08:30", time(8, 30)), ("23:59", time(23, 59))],
)
def test_clock_times_parse(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "8:30", "08:60", "08:30:00", "0830", " 08:30", ""])
def test_malformed_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock(text)


def test_working_hours_need_start_before_end_and_iso_days() -> None:
    assert working_hours_problems(time(9), time(17), [1, 5]) == []
    assert working_hours_problems(time(9), time(9), [1])
    assert working_hours_problems(time(18), time(9), [1])
    assert working_hours_problems(time(9), time(17), [0])
    assert working_hours_problems(time(9), time(17), [8])


def test_quiet_hours_may_wrap_midnight_but_not_be_empty() -> None:
    assert quiet_hours_problems(time(22), time(7)) == []
    assert quiet_hours_problems(time(1), time(6)) == []
    assert quiet_hours_problems(time(22), time(22))


def test_emails_are_compared_lower_cased() -> None:
    assert normalise_email("  Ayse@Mail.Example ") == "ayse@mail.example"


@pytest.mark.parametrize(
    ("daily", "expected"),
    [
        ({}, None),
        ({TODAY: None}, None),
        ({TODAY: 4}, 4.0),
        ({TODAY: 4, TODAY - timedelta(days=6): 7}, 5.5),
        ({TODAY: 4, TODAY - timedelta(days=7): 10}, 4.0),
        ({TODAY + timedelta(days=1): 9, TODAY - timedelta(days=1): 3}, 3.0),
        ({TODAY: 1, TODAY - timedelta(days=1): 2, TODAY - timedelta(days=2): 2}, 1.67),
    ],
)
def test_mean_daily_pain_over_the_last_7_local_days(
    daily: dict[date, int | None], expected: float | None
) -> None:
    assert mean_daily_pain(daily, TODAY) == expected


@given(st.dictionaries(st.integers(-10, 10), st.integers(0, 10), max_size=21))
@settings(max_examples=150)
def test_mean_daily_pain_stays_within_the_window_values(offsets: dict[int, int]) -> None:
    daily = {TODAY + timedelta(days=k): v for k, v in offsets.items()}
    inside = [v for k, v in offsets.items() if -6 <= k <= 0]
    result = mean_daily_pain(daily, TODAY)
    if not inside:
        assert result is None
    else:
        assert min(inside) - 0.01 <= result <= max(inside) + 0.01


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("a-long-enough-passphrase", True),
        ("short", False),
        ("aaaaaaaaaaaaaa", False),
        (" padded-password ", False),
    ],
)
def test_password_strength_rule(password: str, ok: bool) -> None:
    assert (password_problems(password) == []) is ok


def test_argon2id_defaults_to_owasp_minimum_and_reads_the_environment() -> None:
    from server.accounts.passwords import hasher_from_environment

    default = hasher_from_environment({})
    assert (default.memory_cost, default.time_cost, default.parallelism) == (19 * 1024, 2, 1)
    assert default.type.name == "ID"
    tuned = hasher_from_environment(
        {"ARGON2_MEMORY_KIB": "47104", "ARGON2_TIME_COST": "1", "ARGON2_PARALLELISM": "2"}
    )
    assert (tuned.memory_cost, tuned.time_cost, tuned.parallelism) == (47104, 1, 2)
    # Hashes carry their own parameters: one made with other settings still verifies.
    cheap = hasher_from_environment({"ARGON2_MEMORY_KIB": "256", "ARGON2_TIME_COST": "1"})
    assert default.verify(cheap.hash("correct horse battery"), "correct horse battery")
