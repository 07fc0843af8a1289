"""The operator CLI (``flask <command>``), gathered from each domain."""

from __future__ import annotations

import click


def all_commands() -> list[click.Command]:
    """Every ``flask`` command the service offers."""
    from server.accounts.cli import commands as account_commands
    from server.flags.cli import commands as flag_commands
    from server.reminders.cli import commands as reminder_commands
    from server.seeding import seed

    return [seed, *account_commands, *flag_commands, *reminder_commands]
