"""The exercise library (shared entries plus each clinic's own) and the programme templates."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.access import Actor
from server.audit import services as audit
from server.clock import utcnow
from server.errors import Conflict, Forbidden, NotFound
from server.extensions import db
from server.pagination import paginate
from server.programmes.models import Exercise, ProgrammeTemplate


def visible_to(clinic_id: uuid.UUID | sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    """Exercises a clinic may use: the shared library and its own."""
    return sa.or_(Exercise.clinic_id.is_(None), Exercise.clinic_id == clinic_id)


def list_exercises(
    *, actor: Actor, limit: int, cursor: str | None, include_retired: bool = False
) -> tuple[list[Exercise], str | None]:
    """One page of the library plus the actor's clinic's own exercises, by slug; retired ones
    only when asked for."""
    query = sa.select(Exercise).where(visible_to(actor.clinic_id))
    if not include_retired:
        query = query.where(Exercise.retired_at.is_(None))
    return paginate(
        query,
        keys=[(Exercise.slug, False), (Exercise.id, False)],
        key_of=lambda e: (e.slug, e.id),
        limit=limit,
        cursor=cursor,
    )


def create_exercise(*, actor: Actor, data: dict[str, Any], now: datetime | None = None) -> Exercise:
    """Add a clinic's own exercise; its slug may clash neither with the library nor the clinic."""
    now = now or utcnow()
    taken = db.session.scalar(
        sa.select(Exercise.id).where(visible_to(actor.clinic_id), Exercise.slug == data["slug"])
    )
    if taken is not None:
        raise Conflict(f"An exercise with the slug {data['slug']!r} already exists.")
    exercise = Exercise(clinic_id=actor.clinic_id, created_at=now, **data)
    db.session.add(exercise)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        raise Conflict(f"An exercise with the slug {data['slug']!r} already exists.") from error
    audit.record("exercise.create", actor=actor, target=("exercise", exercise.id), now=now)
    return exercise


def update_exercise(
    exercise_id: uuid.UUID, *, actor: Actor, changes: dict[str, Any], now: datetime | None = None
) -> Exercise:
    """Edit one of the clinic's own exercises: its texts, category and media, and ``retired``
    (True retires it, False brings it back). The shared library is read-only (403); another
    clinic's exercise is not found (404). Plans show the change within their cache's 5 minutes.
    """
    now = now or utcnow()
    exercise = db.session.scalar(
        sa.select(Exercise).where(visible_to(actor.clinic_id), Exercise.id == exercise_id)
    )
    if exercise is None:
        raise NotFound("No exercise with this id.")
    if exercise.clinic_id is None:
        raise Forbidden("The shared library cannot be edited; add your own exercise instead.")
    retired = changes.pop("retired", None)
    for field, value in changes.items():
        setattr(exercise, field, value)
    actions = ["exercise.update"] if changes else []
    if retired is not None and retired != (exercise.retired_at is not None):
        exercise.retired_at = now if retired else None
        actions.append("exercise.retire" if retired else "exercise.restore")
    audit.record(actions, actor=actor, target=("exercise", exercise.id), now=now)
    db.session.flush()
    return exercise


def list_templates(*, limit: int, cursor: str | None) -> tuple[list[ProgrammeTemplate], str | None]:
    """One page of programme templates, by slug."""
    return paginate(
        sa.select(ProgrammeTemplate),
        keys=[(ProgrammeTemplate.slug, False), (ProgrammeTemplate.id, False)],
        key_of=lambda t: (t.slug, t.id),
        limit=limit,
        cursor=cursor,
    )


def template_by_slug(slug: str) -> ProgrammeTemplate | None:
    """The template with this slug, if any."""
    return db.session.scalar(sa.select(ProgrammeTemplate).where(ProgrammeTemplate.slug == slug))


@functools.cache
def _lookup_statement() -> sa.Select[tuple[Exercise]]:
    # Built once: constructing it took as long as running it (the patient's plan is hot).
    return sa.select(Exercise).where(
        visible_to(sa.bindparam("clinic_id", type_=sa.Uuid())),
        sa.or_(
            Exercise.slug.in_(sa.bindparam("slugs", expanding=True)),
            Exercise.id.in_(sa.bindparam("ids", expanding=True)),
        ),
    )


class ExerciseLookup:
    """The exercises a clinic may use, loaded once for a set of slugs and ids.

    A clinic's own exercise wins over a library entry with the same slug. Retired exercises
    are found too: what already prescribes them keeps them (new prescriptions refuse them).
    """

    def __init__(self, clinic_id: uuid.UUID, *, slugs: Iterable[str] = (), ids: Iterable[Any] = ()):
        params = {
            "clinic_id": clinic_id,
            "slugs": list(set(slugs)),
            "ids": list({uuid.UUID(str(i)) for i in ids}),
        }
        found = db.session.scalars(_lookup_statement(), params).all()
        self.by_id = {e.id: e for e in found}
        self.by_slug: dict[str, Exercise] = {}
        for exercise in sorted(found, key=lambda e: e.clinic_id is not None):
            self.by_slug[exercise.slug] = exercise

    def find(self, *, slug: str | None = None, exercise_id: Any = None) -> Exercise | None:
        """The exercise named by slug or id, or None when the clinic may not use it."""
        if exercise_id is not None:
            return self.by_id.get(uuid.UUID(str(exercise_id)))
        return self.by_slug.get(slug or "")


def localized(text: dict[str, str], language: str) -> str:
    """``text`` in ``language``, falling back to English, then to any language."""
    return text.get(language) or text.get("en") or next(iter(text.values()), "")
