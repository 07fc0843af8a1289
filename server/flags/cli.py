"""Operator commands of the flag engine."""

import click

commands: list[click.Command] = []
