"""Benchmark reference endpoints, served only when ``BENCH_REFERENCES`` is on.

``make bench`` compares every real endpoint with two references served by the same gunicorn
config in the same run: a trivial JSON answer, a bare single-row Core ``INSERT`` of the
same shape as a pain rating (the ceiling for any write), and a bulk one: a sync's 500 items as
500 such rows in one ``INSERT`` statement (the ceiling for a sync). The bare insert goes to its own
table, which is not part of the app's metadata or migrations: the harness creates it.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, request

from server.access import PUBLIC, allow
from server.clock import utcnow
from server.extensions import db

blp = Blueprint("bench_refs", __name__, url_prefix="/bench")
bench_metadata = sa.MetaData()

# Same columns as ``pain_ratings``, without foreign keys (no auth, so no real patient).
bare_pain_ratings = sa.Table(
    "bench_bare_pain_ratings",
    bench_metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("clinic_id", sa.Uuid, nullable=False),
    sa.Column("patient_id", sa.Uuid, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("local_date", sa.Date, nullable=False),
    sa.Column("body_digest", sa.String(64), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("context", sa.String(20), nullable=False),
)
_NOBODY = uuid.UUID(int=0)


@blp.get("/trivial")
@allow(PUBLIC)
def trivial() -> dict[str, bool]:
    """The cheapest JSON answer the stack can give: the throughput ceiling."""
    return {"ok": True}


@blp.post("/bare-insert")
@allow(PUBLIC)
def bare_insert() -> tuple[dict[str, str], int]:
    """One Core INSERT of a pain-rating-shaped row and nothing else: the write ceiling."""
    body = request.get_json(force=True)
    recorded_at = datetime.fromisoformat(body["recorded_at"])
    db.session.execute(
        bare_pain_ratings.insert().values(
            id=uuid.UUID(body["id"]),
            clinic_id=_NOBODY,
            patient_id=_NOBODY,
            recorded_at=recorded_at,
            received_at=utcnow(),
            local_date=recorded_at.date(),
            body_digest="0" * 64,
            score=body["score"],
            context=body["context"],
        )
    )
    return {"id": body["id"]}, 201


@blp.post("/bulk-insert")
@allow(PUBLIC)
def bulk_insert() -> tuple[dict[str, int], int]:
    """A sync's body stored as pain-rating-shaped rows in ONE INSERT statement: the sync's
    ceiling, with no auth, validation, idempotency, audit or flags."""
    items = request.get_json(force=True)["items"]
    received_at = utcnow().isoformat()
    rows = []
    for item in items:
        data = item["data"]
        recorded_at = data["recorded_at"]
        rows.append(
            {
                "id": data["id"],
                "clinic_id": str(_NOBODY),
                "patient_id": str(_NOBODY),
                "recorded_at": recorded_at,
                "received_at": received_at,
                "local_date": datetime.fromisoformat(recorded_at).date().isoformat(),
                "body_digest": "0" * 64,
                "score": data.get("score", 0),
                "context": data.get("context", "now"),
            }
        )
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement whose text never changes (prepared once): the rows as one JSON document.
        db.session.execute(_BULK_POSTGRESQL, {"rows": json.dumps(rows)})
    else:
        # SQLite: one prepared INSERT stepped once per row, in-process (no round trips).
        db.session.execute(bare_pain_ratings.insert(), [_typed(row) for row in rows])
    return {"stored": len(rows)}, 201


_BULK_POSTGRESQL = sa.text(
    "INSERT INTO bench_bare_pain_ratings SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
    "AS r(id uuid, clinic_id uuid, patient_id uuid, recorded_at timestamptz, "
    "received_at timestamptz, local_date date, body_digest varchar(64), score integer, "
    "context varchar(20))"
)


def _typed(row: dict[str, object]) -> dict[str, object]:
    """A JSON-ready row with Python values for SQLAlchemy's SQLite types."""
    return {
        **row,
        "id": uuid.UUID(str(row["id"])),
        "clinic_id": _NOBODY,
        "patient_id": _NOBODY,
        "recorded_at": datetime.fromisoformat(str(row["recorded_at"])),
        "received_at": datetime.fromisoformat(str(row["received_at"])),
        "local_date": date.fromisoformat(str(row["local_date"])),
    }
