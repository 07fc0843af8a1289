"""Operator commands of the reminder scheduler."""

import click

commands: list[click.Command] = []
