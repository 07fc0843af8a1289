"""``flask seed``: the exercise library, templates, outcome measures, consent texts and the
demo clinic, idempotently.

A package of its own: the demo (``demo.py``, ``demo_history.py``) fills every domain, through
their services.
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext

from server.accounts.seed import ensure_clinic, ensure_staff, load_consent_texts
from server.config import PROJECT_ROOT
from server.extensions import db
from server.measures.services import load_measures
from server.programmes.seed import load_library
from server.seeding.demo import seed_demo_patients

SEED_DIR = PROJECT_ROOT / "seed"


def seed_all(seed_dir: Path = SEED_DIR) -> dict[str, int]:
    """Load every seed; safe to run again. Returns counts of what was loaded or found."""
    demo = yaml.safe_load((seed_dir / "demo.yaml").read_text(encoding="utf-8"))
    counts = load_library(seed_dir) | load_measures(seed_dir) | load_consent_texts(seed_dir)
    clinic = ensure_clinic(demo["clinic"])
    staff = [ensure_staff(clinic, spec) for spec in demo["staff"]]
    therapist = next(user for user in staff if user.role == "therapist")
    counts["staff"] = len(staff)
    counts["demo_patients"] = seed_demo_patients(clinic, therapist, demo.get("patients", []))
    return counts


@click.command("seed")
@click.option(
    "--seed-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SEED_DIR,
    show_default=True,
    help="The folder of seed files (exercises/, templates/, measures/, demo.yaml).",
)
@with_appcontext
def seed(seed_dir: Path) -> None:
    """Load the exercise library, templates, outcome measures and the demo clinic (idempotent)."""
    counts = seed_all(seed_dir)
    db.session.commit()
    click.echo("seeded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
