"""Run one job step in several threads at once, each with its own database session."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

T = TypeVar("T")


def side_by_side(step: Callable[[], T], count: int) -> list[T]:
    """``step``'s results, run ``count`` times at once: here and in ``count - 1`` threads, each
    inside its own app context (so its own session and connection) and with the caller's
    trace fields on its log lines. Every run ends before the first error is raised."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results: list[T] = []
    errors: list[BaseException] = []

    def run(context: contextvars.Context) -> None:
        try:
            results.append(context.run(_in_app_context, app, step))
        except BaseException as error:  # raised in the caller's thread below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(contextvars.copy_context(),), name=f"side-{n}")
        for n in range(1, count)
    ]
    for thread in threads:
        thread.start()
    try:
        results.append(step())
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return results


def _in_app_context(app: Flask, step: Callable[[], T]) -> T:
    # Pushed inside the copied context: the copy still names the caller's app context, whose
    # session belongs to the caller's thread.
    with app.app_context():
        return step()
