"""The library and templates load from ``seed/``, idempotently, and bad files fail loudly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask

from server.extensions import db
from server.programmes.library_schemas import SeedExerciseIn
from server.programmes.models import Exercise, ProgrammeTemplate
from server.programmes.schemas import TemplateIn
from server.programmes.seed import SeedError, load_library
from tests.conftest import count

CERVICOGENIC = {
    "cranio-cervical-flexion",
    "chin-tuck-sitting",
    "cervical-rotation-rom",
    "c1-c2-self-snag",
    "scapular-retraction-lower-trapezius",
    "thoracic-extension",
    "upper-trapezius-stretch",
    "levator-scapulae-stretch",
    "posture-break-routine",
}


def _files(seed_dir: Path, kind: str) -> list[dict]:
    return [yaml.safe_load(p.read_text("utf-8")) for p in sorted((seed_dir / kind).glob("*.yaml"))]


def test_every_seed_exercise_is_valid_and_bilingual(seed_dir: Path) -> None:
    exercises = [SeedExerciseIn().load(raw) for raw in _files(seed_dir, "exercises")]
    assert {e["slug"] for e in exercises} >= CERVICOGENIC
    for exercise in exercises:
        assert 3 <= len(exercise["ladder"]) <= 6
        for field in ("name", "instructions"):
            assert exercise[field]["en"].strip()
            assert exercise[field]["tr"].strip()
            assert exercise[field]["en"] != exercise[field]["tr"]
        text = (exercise["instructions"]["en"] + exercise["instructions"]["tr"]).lower()
        for word in ("mg", "ibuprofen", "paracetamol", "tablet", "ilaç"):
            assert word not in text.replace("mmhg", ""), (exercise["slug"], word)


def test_deep_neck_flexor_ladder_is_22_to_30_mmhg_10_by_10s(seed_dir: Path) -> None:
    raw = yaml.safe_load((seed_dir / "exercises/cranio-cervical-flexion.yaml").read_text("utf-8"))
    ladder = SeedExerciseIn().load(raw)["ladder"]
    assert [step["target"]["value"] for step in ladder] == [22, 24, 26, 28, 30]
    assert {(s["reps"], s["hold_seconds"], s["target"]["unit"]) for s in ladder} == {
        (10, 10, "mmHg")
    }


def test_templates_are_valid_and_the_cervicogenic_one_is_as_prescribed(seed_dir: Path) -> None:
    templates = {
        t["slug"]: t for t in (TemplateIn().load(r) for r in _files(seed_dir, "templates"))
    }
    basic = templates["cervicogenic-headache-basic"]
    assert basic["schedule"] == {
        "days": [1, 2, 3, 4, 5, 6, 7],
        "slots": [{"slot": "morning", "time": "08:00"}, {"slot": "evening", "time": "19:00"}],
    }
    assert basic["posture_breaks"] == {
        "enabled": True,
        "interval_minutes": 40,
        "routine": "posture-break-routine",
    }
    assert {i["exercise"] for i in basic["items"]} | {"posture-break-routine"} == CERVICOGENIC
    others = [t for slug, t in templates.items() if slug != "cervicogenic-headache-basic"]
    assert others, "a second protocol shows that no code is condition-specific"
    assert all(t["condition"] != "cervicogenic_headache" for t in others)


def test_loading_twice_gives_the_same_counts_and_rows(app_ctx: Flask, seed_dir: Path) -> None:
    first = load_library(seed_dir)
    db.session.commit()
    rows = (count(Exercise), count(ProgrammeTemplate))
    second = load_library(seed_dir)
    db.session.commit()
    assert first == second == {"exercises": rows[0], "templates": rows[1]}
    assert (count(Exercise), count(ProgrammeTemplate)) == rows
    assert rows[0] >= len(CERVICOGENIC)


def test_reloading_updates_changed_text_in_place(
    app_ctx: Flask, seed_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    load_library(copy)
    db.session.commit()
    path = copy / "exercises/chin-tuck-sitting.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["name"]["en"] = "Chin tuck (sitting)"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    load_library(copy)
    db.session.commit()
    names = db.session.scalars(
        sa.select(Exercise.name).where(Exercise.slug == "chin-tuck-sitting")
    ).all()
    assert [n["en"] for n in names] == ["Chin tuck (sitting)"]


@pytest.mark.parametrize(
    ("kind", "filename", "content", "message"),
    [
        ("exercises", "broken.yaml", "slug: [unclosed", "not valid YAML"),
        ("exercises", "no-tr.yaml", {"drop": ("name", "tr")}, "tr"),
        ("exercises", "short.yaml", {"ladder": 2}, "ladder"),
        ("exercises", "gap.yaml", {"renumber": True}, "numbered"),
        ("templates", "bad-ref.yaml", {"exercise": "no-such-exercise"}, "no-such-exercise"),
        ("templates", "bad-interval.yaml", {"interval": 60}, "interval_minutes"),
    ],
)
def test_a_malformed_seed_fails_loudly_naming_the_file(
    app_ctx: Flask, seed_dir: Path, tmp_path: Path, kind, filename, content, message
) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    source = (
        "exercises/chin-tuck-sitting.yaml"
        if kind == "exercises"
        else ("templates/cervicogenic-headache-basic.yaml")
    )
    raw = yaml.safe_load((copy / source).read_text("utf-8"))
    raw["slug"] = filename.removesuffix(".yaml")
    if isinstance(content, str):
        text = content
    else:
        if "drop" in content:
            del raw[content["drop"][0]][content["drop"][1]]
        if "ladder" in content:
            raw["ladder"] = raw["ladder"][: content["ladder"]]
        if "renumber" in content:
            raw["ladder"][1]["level"] = 7
        if "exercise" in content:
            raw["items"][0]["exercise"] = content["exercise"]
        if "interval" in content:
            raw["posture_breaks"]["interval_minutes"] = content["interval"]
        text = yaml.safe_dump(raw, allow_unicode=True)
    (copy / kind / filename).write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as raised:
        load_library(copy)
    assert filename in str(raised.value)
    assert message in str(raised.value)
