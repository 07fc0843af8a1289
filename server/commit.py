"""The commit point of a request or a job: commit what it wrote, or roll all of it back."""

from __future__ import annotations

from types import TracebackType

from server.errors import AppError
from server.extensions import db


class _CommitPoint:
    """A stateless context manager (it works on ``db.session``), so entering costs nothing."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if kind is not None and not (isinstance(error, AppError) and error.keep_changes):
            db.session.rollback()
            return
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


_COMMIT_POINT = _CommitPoint()


def committed() -> _CommitPoint:
    """``with committed(): …`` commits what the block wrote, or rolls it back on any exception,
    KeyboardInterrupt and SystemExit included (a half batch must never ride on a later commit),
    and re-raises it; an :class:`~server.errors.AppError` raised with ``keep_changes`` (a reused
    refresh token revokes its session, then refuses) commits first.

    The one commit point of every request (``access.allow``) and of each job's batch.
    """
    return _COMMIT_POINT
