"""Open (and acknowledged) flags counted per patient by severity, for lists and summaries."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from server.database.any_of import any_key_of, id_text, key_of
from server.extensions import db
from server.flags.models import SEVERITIES, ActiveFlagCount


def open_flag_counts(patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Open and acknowledged flags per patient by severity (every severity present, 0 if none)."""
    ids = list(dict.fromkeys(patient_ids))
    dialect = db.session.get_bind().dialect
    keys = {key_of(patient_id, dialect): patient_id for patient_id in ids}
    return {keys[key]: counts for key, counts in open_flag_counts_by_key(list(keys)).items()}


def open_flag_counts_by_key(keys: list[str]) -> dict[str, dict[str, int]]:
    """:func:`open_flag_counts` of patients given by key text (``database.any_of.id_text``)."""
    counts = {key: dict.fromkeys(SEVERITIES, 0) for key in keys}
    if not keys:
        return counts
    rows = db.session.connection().execute(_open_flag_counts_statement(), {"ids": keys}).all()
    for key, *by_severity in rows:
        counts[key] = dict(zip(SEVERITIES, by_severity, strict=True))
    return counts


@functools.cache
def _open_flag_counts_statement() -> sa.Select[Any]:
    """The counts the database keeps (``ActiveFlagCount``) of the patients whose key texts are
    the parameter ``ids``: a row read a patient, not their flags counted."""
    counts = ActiveFlagCount.__table__.c
    return sa.select(id_text(counts.patient_id), *(counts[s] for s in SEVERITIES)).where(
        any_key_of(counts.patient_id)
    )
