"""Programme items and posture-break rules, validated and resolved against a clinic's exercises."""

from __future__ import annotations

import uuid
from typing import Any

from server.errors import Unprocessable
from server.programmes import rules
from server.programmes.library import ExerciseLookup
from server.programmes.schemas import DEFAULT_INTERVAL

RETIRED = "This exercise is retired; it cannot be prescribed anew."


def prescription(
    raw_items: list[dict[str, Any]],
    posture_breaks: dict[str, Any],
    schedule: dict[str, Any],
    *,
    clinic_id: uuid.UUID,
    previous: list[dict[str, Any]] | None = None,
    previous_routine: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Validate and resolve items and the posture-break rule against the clinic's exercises.

    Items get a stable ``item_id`` (kept when given and present in ``previous``) and a snapshot
    of their resolved ``dosage``. A retired exercise stays only where ``previous`` (or
    ``previous_routine``) already held it. 422 with ``items.<index>.<field>`` errors.
    """
    routine = posture_breaks.get("routine")
    lookup = ExerciseLookup(
        clinic_id,
        slugs=[r["exercise"] for r in raw_items if r.get("exercise")] + [routine or ""],
        ids=[uuid.UUID(str(r["exercise_id"])) for r in raw_items if r.get("exercise_id")],
    )
    known_ids = {i["item_id"] for i in previous or []}
    kept = {(i["item_id"], i["exercise_id"]) for i in previous or []}
    slot_names = {s["slot"] for s in schedule["slots"]}
    errors: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        at = f"items.{index}"
        exercise = lookup.find(slug=raw.get("exercise"), exercise_id=raw.get("exercise_id"))
        item_id = str(raw["item_id"]) if raw.get("item_id") else str(uuid.uuid4())
        level, slots = raw.get("level", 1), raw.get("slots") or None
        if exercise is None:
            errors[f"{at}.exercise"] = ["Unknown exercise."]
        elif exercise.retired_at is not None and (item_id, str(exercise.id)) not in kept:
            errors[f"{at}.exercise"] = [RETIRED]
        elif level > len(exercise.ladder):
            errors[f"{at}.level"] = [f"The ladder of {exercise.slug} has {len(exercise.ladder)}."]
        if raw.get("item_id") and item_id not in known_ids:
            errors[f"{at}.item_id"] = ["Not an item of the base revision."]
        if item_id in {i["item_id"] for i in items}:
            errors[f"{at}.item_id"] = ["Each item may appear once."]
        if set(slots or []) - slot_names:
            errors[f"{at}.slots"] = [f"Slots must be among: {', '.join(sorted(slot_names))}."]
        if f"{at}.exercise" in errors or f"{at}.level" in errors:
            continue
        override = raw.get("dosage_override") or None
        items.append(
            {
                "item_id": item_id,
                "exercise_id": str(exercise.id),
                "exercise_slug": exercise.slug,
                "level": level,
                "dosage_override": override,
                "dosage": rules.resolve_dosage(exercise.ladder, level, override),
                "slots": slots,
            }
        )
    found_routine = lookup.find(slug=routine) if routine else None
    if routine and found_routine is None:
        errors["posture_breaks.routine"] = ["Unknown exercise."]
    elif found_routine is not None and found_routine.retired_at and routine != previous_routine:
        errors["posture_breaks.routine"] = [RETIRED]
    if errors:
        raise Unprocessable("The programme is invalid.", errors=errors)
    posture = {
        "enabled": bool(posture_breaks.get("enabled")),
        "interval_minutes": posture_breaks.get("interval_minutes") or DEFAULT_INTERVAL,
        "routine": routine,
    }
    return items, posture
