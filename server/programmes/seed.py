"""Load the exercise library and programme templates from ``seed/`` (idempotent, by slug).

``seed/exercises/*.yaml`` hold one exercise each, ``seed/templates/*.yaml`` one template each.
Every file is validated with the API's own schemas; a bad file fails loudly, naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
import yaml

from server.extensions import db
from server.programmes.library_schemas import SeedExerciseIn
from server.programmes.models import Exercise, ProgrammeTemplate
from server.programmes.schemas import TemplateIn


class SeedError(RuntimeError):
    """A seed file is malformed or refers to something that does not exist."""


def load_library(seed_dir: Path) -> dict[str, int]:
    """Upsert every library exercise and template under ``seed_dir``; returns how many of each."""
    exercises = _read_all(seed_dir / "exercises", SeedExerciseIn())
    templates = _read_all(seed_dir / "templates", TemplateIn())
    ladders = {data["slug"]: len(data["ladder"]) for _, data in exercises}
    for path, data in templates:
        _check_template(path, data, ladders)
    _upsert_exercises([data for _, data in exercises])
    _upsert_templates([data for _, data in templates])
    db.session.flush()
    return {"exercises": len(exercises), "templates": len(templates)}


def _read_all(folder: Path, schema: ma.Schema) -> list[tuple[Path, dict[str, Any]]]:
    loaded: list[tuple[Path, dict[str, Any]]] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = schema.load(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            raise SeedError(f"{path}: not valid YAML: {error}") from error
        except ma.ValidationError as error:
            raise SeedError(f"{path}: {error.messages}") from error
        if data["slug"] in seen:
            raise SeedError(f"{path}: slug {data['slug']!r} is also used by {seen[data['slug']]}")
        seen[data["slug"]] = path
        loaded.append((path, data))
    return loaded


def _check_template(path: Path, data: dict[str, Any], ladders: dict[str, int]) -> None:
    slots = {s["slot"] for s in data["schedule"]["slots"]}
    problems = []
    for index, item in enumerate(data["items"]):
        levels = ladders.get(item["exercise"])
        if levels is None:
            problems.append(f"items.{index}: unknown exercise {item['exercise']!r}")
        elif item["level"] > levels:
            problems.append(f"items.{index}: level {item['level']} > {levels} levels")
        if set(item.get("slots") or []) - slots:
            problems.append(f"items.{index}: slots must be among {sorted(slots)}")
    routine = data["posture_breaks"].get("routine")
    if routine and routine not in ladders:
        problems.append(f"posture_breaks.routine: unknown exercise {routine!r}")
    if problems:
        raise SeedError(f"{path}: " + "; ".join(problems))


def _upsert_exercises(entries: list[dict[str, Any]]) -> None:
    existing = {
        e.slug: e
        for e in db.session.scalars(sa.select(Exercise).where(Exercise.clinic_id.is_(None)))
    }
    for data in entries:
        exercise = existing.get(data["slug"])
        if exercise is None:
            db.session.add(Exercise(clinic_id=None, **data))
            continue
        for key, value in data.items():
            if getattr(exercise, key) != value:
                setattr(exercise, key, value)


def _upsert_templates(entries: list[dict[str, Any]]) -> None:
    existing = {t.slug: t for t in db.session.scalars(sa.select(ProgrammeTemplate))}
    for data in entries:
        data = {**data, "items": [_template_item(i) for i in data["items"]]}
        template = existing.get(data["slug"])
        if template is None:
            db.session.add(ProgrammeTemplate(**data))
            continue
        for key, value in data.items():
            if getattr(template, key) != value:
                setattr(template, key, value)


def _template_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}
