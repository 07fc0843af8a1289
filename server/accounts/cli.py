"""Operator commands for clinics and staff accounts."""

import click

commands: list[click.Command] = []
