"""Operator commands of reminders: run one time-driven job ``--at`` an instant."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from server.cli import at_option
from server.clock import utcnow

reminders_cli = AppGroup("reminders", help="Reminder ticks, digests and what is due.")


@reminders_cli.command("tick")
@at_option
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
def tick_command(at: datetime | None, batch_size: int | None) -> None:
    """Run one dispatch tick: claim due reminders, record them and deliver the outbox."""
    from server.reminders.jobs import dispatch_tick

    report = dispatch_tick(at or utcnow(), batch_size=batch_size)
    click.echo(report.summary())


@reminders_cli.command("digest")
@at_option
def digest_command(at: datetime | None) -> None:
    """Send the daily open-flag digests due at the instant (once per therapist and local day)."""
    from server.reminders.jobs import digest_job

    click.echo(f"digests enqueued: {digest_job(at or utcnow())}")


@reminders_cli.command("due")
@at_option
@click.option("--limit", type=click.IntRange(min=1), default=1000)
def due_command(at: datetime | None, limit: int) -> None:
    """List the reminder occurrences a tick would record at the instant, without sending."""
    from server.reminders.services import preview_due

    planned = preview_due(at or utcnow(), limit=limit)
    for item in planned:
        occurrence = item.occurrence
        click.echo(
            f"{occurrence.at.isoformat()}  {occurrence.kind:<13} {item.status:<10} "
            f"patient={item.patient_id} local_date={occurrence.local_date}"
            + (f" slot={occurrence.slot}" if occurrence.slot else "")
        )
    click.echo(f"{len(planned)} occurrence(s) due")


@reminders_cli.command("cleanup")
@at_option
def cleanup_command(at: datetime | None) -> None:
    """Delete final outbox rows past their retention."""
    from server.reminders.jobs import cleanup_job

    click.echo(f"deliveries deleted: {cleanup_job(at or utcnow())}")


commands: list[click.Command] = [reminders_cli]
