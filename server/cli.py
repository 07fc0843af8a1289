"""Options shared by the operator commands of several domains (``flask <command>``).

The commands themselves live with their domain (``<domain>/cli.py``); ``create_app`` registers
them.
"""

from __future__ import annotations

from datetime import datetime

import click


class Instant(click.ParamType):
    """An ISO 8601 instant with an offset (``2026-03-29T08:00:00+01:00`` or ``…Z``)."""

    name = "ISO8601"

    def convert(self, value, param, ctx) -> datetime:  # type: ignore[no-untyped-def]
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 instant", param, ctx)
        if instant.tzinfo is None:
            self.fail("give the instant an offset, e.g. 2026-03-29T08:00:00+00:00", param, ctx)
        return instant


INSTANT = Instant()
at_option = click.option(
    "--at", "at", type=INSTANT, default=None, help="Run as of this instant (default: now)."
)
