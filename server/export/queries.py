"""The audited export reads: check who may export, write the one audit row, then stream.

Everything that can refuse (the token, the role, the patient's scope) and the audit row happen
in the view, before the first byte. The body is then generated after ``allow`` has committed
(and Flask has removed the view's session), on a connection put back in the request's read mode
(``resume_read_request``), each page of each section its own plain read, so memory stays
bounded by a page whatever the history.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from server.access import Actor, get_scoped
from server.accounts.models import Patient
from server.audit import services as audit
from server.clock import utcnow
from server.database.transactions import resume_read_request
from server.export import fhir
from server.export.sections import FORMAT_VERSION, SECTIONS
from server.extensions import db

JSON, FHIR = "json", "fhir"
FORMATS = (JSON, FHIR)
MEDIA_TYPES = {JSON: "application/json", FHIR: "application/fhir+json"}
# A chunk of the body is sent once it holds this many characters.
CHUNK = 64 * 1024


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(value: Any) -> str:
    """``value`` as compact JSON; ids, instants, dates and times as ISO text."""
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))


def start_export(*, actor: Actor, patient_id: uuid.UUID, form: str) -> Iterator[str]:
    """Check the actor may see the patient (404 if not), audit the export with its format, and
    return the body's chunks, generated only as they are sent."""
    patient = get_scoped(Patient, patient_id, actor)
    audit.read("patient.exported", actor=actor, patient_id=patient.id, target=("export", form))
    return _streamed(patient.id, form)


def json_document(patient: Patient) -> Iterator[str]:
    """The JSON export: the format's version, then each section in :data:`SECTIONS` order."""
    head = {"format_version": FORMAT_VERSION, "exported_at": utcnow(), "patient_id": patient.id}
    yield dumps(head)[:-1]
    for name, read in SECTIONS:
        value = read(patient)
        yield f",{dumps(name)}:"
        if isinstance(value, dict):
            yield dumps(value)
        else:
            yield from json_array(value, dumps)
    yield "}"


def json_array(items: Iterable[Any], encode: Any) -> Iterator[str]:
    """``[item,item,…]``, one item encoded at a time."""
    yield "["
    for index, item in enumerate(items):
        yield ("," if index else "") + encode(item)
    yield "]"


def _buffered(chunks: Iterable[str]) -> Iterator[bytes]:
    """The chunks joined into pieces of about :data:`CHUNK` characters, UTF-8 encoded."""
    pending: list[str] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


def _streamed(patient_id: uuid.UUID, form: str) -> Iterator[bytes]:
    """The body, generated once the view has returned: ``allow`` has committed and Flask has
    torn the request's session down, so the reads resume in the request's read mode on a fresh
    session, loading the patient the view authorized again by id."""
    resume_read_request(db.session)
    patient = db.session.get_one(Patient, patient_id)
    yield from _buffered(json_document(patient) if form == JSON else fhir.bundle(patient))
