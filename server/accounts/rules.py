"""Pure account rules: invitation codes, time zones, clock times, preferences, 7-day pain mean.

No database and no Flask: plain values in, plain values out.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import date, time, timedelta
from importlib import resources

# No 0/O, 1/I/L, 5/S, 2/Z or 8/B look-alikes: easy to read aloud and to type on a phone.
INVITE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY346789"
INVITE_LENGTH = 10
INVITE_LIFETIME = timedelta(days=7)
CLOCK_PATTERN = r"^([01]\d|2[0-3]):([0-5]\d)$"
_CLOCK = re.compile(CLOCK_PATTERN)
PAIN_WINDOW_DAYS = 7


def new_invite_code() -> str:
    """A fresh random invitation code, e.g. ``K7MQ3XWP9D`` (about 47 bits)."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalise_invite_code(text: str) -> str:
    """Upper-case the code and drop spaces and dashes the patient may have typed."""
    return re.sub(r"[\s-]", "", text).upper()


def invite_digest(code: str, key: str) -> str:
    """The keyed digest stored instead of the code, so a database dump cannot be brute-forced."""
    message = normalise_invite_code(code).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def account_key_digest(value: str) -> str:
    """A short, non-reversible key for rate limiting one account (email or invite code).

    It runs before the body is validated, so lone surrogates must not fail the encoding.
    """
    message = value.strip().lower().encode("utf-8", "surrogatepass")
    return hashlib.sha256(message).hexdigest()[:32]


@functools.cache
def _zones() -> frozenset[str]:
    """The IANA zone names of the ``tzdata`` package, not the host's zoneinfo folder, which
    also holds ``localtime`` (a link to whatever the host runs in), ``posixrules`` and the
    like; ``Factory`` is tzdata's placeholder for "no zone set"."""
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {"Factory"}


def iana_timezones() -> list[str]:
    """Every IANA time zone this server accepts, sorted (the spec's enum)."""
    return sorted(_zones())


def timezone_identifier(name: str) -> str:
    """A zone as a code identifier that keeps ``Etc/GMT+3`` and ``Etc/GMT-3`` apart."""
    name = re.sub(r"-(?=\d)", "_MINUS_", name.replace("+", "_PLUS_"))
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


def is_iana_timezone(name: str) -> bool:
    """Whether ``name`` is a real IANA time zone (``Europe/Istanbul``), not a host's link."""
    return name in _zones()


def parse_clock(value: str) -> time:
    """``"08:30"`` → ``time(8, 30)``; raises ``ValueError`` for anything but ``HH:MM``."""
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError("Use the 24-hour form HH:MM, e.g. 08:30.")
    return time(int(match.group(1)), int(match.group(2)))


def working_hours_problems(start: time, end: time, days: Iterable[int]) -> list[str]:
    """Why a working window is invalid; empty when it is fine."""
    problems = []
    if start >= end:
        problems.append("The start must be before the end.")
    if any(day not in range(1, 8) for day in days):
        problems.append("Days are ISO weekdays: 1 (Monday) to 7 (Sunday).")
    return problems


def quiet_hours_problems(start: time, end: time) -> list[str]:
    """Why quiet hours are invalid; they may wrap midnight (22:00–07:00) but not be empty."""
    return ["The start and the end must differ."] if start == end else []


def pain_window(today: date) -> tuple[date, date]:
    """The last 7 local days, today included."""
    return today - timedelta(days=PAIN_WINDOW_DAYS - 1), today


def mean_daily_pain(daily_max: dict[date, int | None], today: date) -> float | None:
    """Mean of the daily maximum pain over the 7-day window; days without data do not count."""
    start, end = pain_window(today)
    values = [v for day, v in daily_max.items() if start <= day <= end and v is not None]
    return round(sum(values) / len(values), 2) if values else None


def normalise_email(email: str) -> str:
    """Emails are matched in NFKC form (a full-width ``ａ`` is ``a``) and case-insensitively:
    stored and compared that way."""
    return unicodedata.normalize("NFKC", email).strip().lower()
