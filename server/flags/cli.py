"""Operator commands of the flag engine: ``flask flags sweep --at ISO8601``."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from server.cli import INSTANT
from server.clock import utcnow

flags_cli = AppGroup("flags", help="The flag engine.")


@flags_cli.command("sweep")
@click.option("--at", "at", type=INSTANT, default=None, help="Run as of this instant.")
@click.option("--batch-size", type=click.IntRange(min=1), default=200)
def sweep_command(at: datetime | None, batch_size: int) -> None:
    """Run one flag sweep (time-driven rules) as of an instant, committing per batch."""
    from server.flags.jobs import sweep_job

    swept = sweep_job(at or utcnow(), batch_size=batch_size)
    click.echo(f"flag sweep: {swept} patients evaluated")


commands: list[click.Command] = [flags_cli]
