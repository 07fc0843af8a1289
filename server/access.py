"""The one authorization mechanism.

Every view is wrapped by :func:`allow`, which authenticates, checks the role and owns the request's
single commit. Every patient-scoped object is loaded through :func:`scoped` / :func:`get_scoped`,
which filter by clinic (staff) or by the patient themself (patients). ``allow`` also loads every
patient-scoped object a path parameter names (``/patients/<uuid:patient_id>``) through the same
filter before the view runs, so a route cannot forget it. A view without ``allow`` is refused at
start-up by :func:`assert_every_view_declares_access`.
"""

from __future__ import annotations

import copy
import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g, has_app_context, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from server.commit import committed
from server.database.transactions import READ, WRITE, begin_request
from server.db import Base
from server.errors import Forbidden, NotFound
from server.extensions import db

PUBLIC = "public"
# No bearer token: a secret in the path is the credential (a calendar app cannot send a header).
# The view resolves it to its patient and loads everything through ``scoped``/``get_scoped`` as
# them; the request runs in the same mode (and audits the same way) as an authenticated one.
TOKEN_IN_PATH = "token_in_path"  # noqa: S105 - the name of a kind of caller, not a secret
PATIENT = "patient"
STAFF = ("therapist", "clinic_admin")
ADMIN = "clinic_admin"
AUTHENTICATED = (PATIENT, *STAFF)
M = TypeVar("M")


@dataclass(frozen=True)
class Actor:
    """Who is acting: taken from the verified access token, never from the request body."""

    user_id: uuid.UUID
    role: str
    clinic_id: uuid.UUID

    @property
    def is_patient(self) -> bool:
        return self.role == PATIENT

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


def current_actor() -> Actor:
    """The authenticated actor of this request (``allow`` has verified the token)."""
    return actor_from_claims(get_jwt())


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """The actor a verified access token's claims name."""
    return Actor(
        user_id=uuid.UUID(claims["sub"]),
        role=claims["role"],
        clinic_id=uuid.UUID(claims["clinic_id"]),
    )


def is_read_request() -> bool:
    """A GET, or a HEAD (which Flask answers with the GET view): the request only reads."""
    return request.method in ("GET", "HEAD")


def allow(*roles: str | tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare who may call a view; authenticate, authorize, then commit once or roll back.

    ``allow(PUBLIC)`` needs no token; ``allow(TOKEN_IN_PATH)`` needs none in a header, as its
    view resolves the secret its path carries; ``allow(PATIENT)``, ``allow(STAFF)`` and
    ``allow(ADMIN)`` need an access token with one of the given roles. Order of checks, all
    before the body is parsed: token (401), role (403), then every patient-scoped object named
    by a path parameter (404 when not visible, see :func:`path_model`). The roles are published
    in the OpenAPI operation as ``x-roles`` (and ``security``), which the authorization matrix
    test reads.
    """
    flat = tuple(r for role in roles for r in ((role,) if isinstance(role, str) else role))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = None
            g.scoped_objects = {}  # what get_scoped loaded in this request, for reuse
            if PUBLIC not in flat:
                # Before the token's revocation check, the request's first query.
                begin_request(db.session, READ if is_read_request() else WRITE)
            if PUBLIC not in flat and TOKEN_IN_PATH not in flat:
                verify_jwt_in_request()
                actor = current_actor()
                if actor.role not in flat:
                    raise Forbidden("Your role may not use this endpoint.")
            try:
                with committed():
                    if actor is not None:
                        _load_path_objects(actor, kwargs)
                    return view(*args, **kwargs)
            finally:
                g.pop("scoped_objects", None)

        wrapper.allowed_roles = flat  # type: ignore[attr-defined]
        wrapper._apidoc = _documented(view, flat)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def not_erased(model: Any) -> sa.ColumnElement[bool]:
    """Rows of a patient who has not been erased: an erased patient is unknown to every route
    (their sessions end at erasure, so only staff could still ask)."""
    if model.__tablename__ == "patients":
        return model.erased_at.is_(None)
    # An alias, so a statement that joins patients itself does not correlate it away.
    patient = Base.metadata.tables["patients"].alias("live_patient")
    return sa.exists().where(patient.c.id == model.patient_id, patient.c.erased_at.is_(None))


def patient_filter(model: Any, actor: Actor) -> sa.ColumnElement[bool]:
    """The WHERE clause limiting ``model`` rows to what ``actor`` may see.

    ``model`` is ``Patient`` itself or any table with ``clinic_id`` and ``patient_id`` columns.
    """
    patient_column = model.id if model.__tablename__ == "patients" else model.patient_id
    if actor.is_patient:
        return sa.and_(model.clinic_id == actor.clinic_id, patient_column == actor.user_id)
    return sa.and_(model.clinic_id == actor.clinic_id, not_erased(model))


def scoped(model: type[M], actor: Actor | None = None) -> sa.Select[tuple[M]]:
    """``SELECT model`` already limited to the actor's clinic (staff) or own rows (patient)."""
    actor = actor or current_actor()
    return sa.select(model).where(patient_filter(model, actor))


@functools.cache
def _get_scoped_statement(model: Any, as_patient: bool, options: tuple[Any, ...]) -> sa.Select[Any]:
    """:func:`scoped` plus ``id = :id`` with every value a bound parameter, built once per
    model, kind of actor and loader options (hot: every patient request loads its own row).
    """
    patient_column = model.id if model.__tablename__ == "patients" else model.patient_id
    where = [
        model.clinic_id == sa.bindparam("clinic_id", type_=model.clinic_id.type),
        model.id == sa.bindparam("object_id", type_=model.id.type),
    ]
    if as_patient:
        where.append(patient_column == sa.bindparam("patient_id", type_=patient_column.type))
    else:
        where.append(not_erased(model))
    return sa.select(model).where(*where).options(*options)


def get_scoped(
    model: type[M],
    object_id: uuid.UUID,
    actor: Actor | None = None,
    *,
    options: tuple[Any, ...] = (),
) -> M:
    """Load one patient-scoped object or raise 404; not-yours and unknown look the same.

    ``options`` are loader options (built once, e.g. at import) such as ``lazyload(...)``.
    Within a request, an object is loaded once: ``allow`` has already loaded the ones its path
    names, and the view gets the same instance without another query.
    """
    actor = actor or current_actor()
    loaded = g.get("scoped_objects") if has_app_context() else None
    key = (model, object_id, actor)
    if loaded is not None and key in loaded:
        return loaded[key]
    params = {"clinic_id": actor.clinic_id, "object_id": object_id}
    if actor.is_patient:
        params["patient_id"] = actor.user_id
    statement = _get_scoped_statement(model, actor.is_patient, options)
    found = db.session.scalar(statement, params)
    if found is None:
        raise NotFound(f"No {model.__name__.lower()} with this id.")
    if loaded is not None:
        loaded[key] = found
    return found


def remember_scoped(model: type[M], object_id: uuid.UUID, actor: Actor, found: M) -> None:
    """Hand :func:`get_scoped` an object loaded under the same filter by another query (the
    token check loads the patient's own row), so this request does not load it again.
    """
    loaded = g.get("scoped_objects") if has_app_context() else None
    if loaded is not None:
        loaded[(model, object_id, actor)] = found


_PATH_MODELS: dict[str, Any] = {}
_RULE_PARAM = re.compile(r"([^/<>]*)/<(?:[^:<>]+:)?([^<>]+)>")


def register_path_model(param: str, model: Any) -> None:
    """Declare that the path parameter ``param`` names a row of the patient-scoped ``model``.

    Only needed when the name does not follow the convention of :func:`path_model`.
    """
    _PATH_MODELS[param] = model


def _is_patient_scoped(model: Any) -> bool:
    columns = model.__table__.c
    return "clinic_id" in columns and ("patient_id" in columns or model.__tablename__ == "patients")


@functools.cache
def _models_by_table() -> dict[str, Any]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Base.registry.mappers
        if _is_patient_scoped(mapper.class_)
    }


def path_model(param: str, segment: str = "") -> Any | None:
    """The patient-scoped model a path parameter names, or ``None``.

    Registered names first; then ``<thing>_id`` → table ``<thing>s``; then the path segment
    before the parameter (``/flags/<id>`` → ``flags``). Only tables with ``clinic_id`` and
    ``patient_id`` (or ``patients`` itself) qualify.
    """
    if param in _PATH_MODELS:
        return _PATH_MODELS[param]
    tables = _models_by_table()
    stem = param.removesuffix("_id")
    candidates = [f"{stem}s", f"{stem}es", f"{stem[:-1]}ies", segment.replace("-", "_")]
    return next((tables[name] for name in candidates if name in tables), None)


@functools.cache
def _rule_models(rule: str) -> tuple[tuple[str, Any], ...]:
    pairs = ((param, path_model(param, segment)) for segment, param in _RULE_PARAM.findall(rule))
    return tuple((param, model) for param, model in pairs if model is not None)


def _load_path_objects(actor: Actor, kwargs: dict[str, Any]) -> None:
    """404 before the body is even parsed when a path names an object the actor cannot see."""
    rule = request.url_rule.rule if request.url_rule else ""
    for param, model in _rule_models(rule):
        value = kwargs.get(param)
        try:
            object_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except ValueError:
            raise NotFound(f"No {model.__name__.lower()} with this id.") from None
        get_scoped(model, object_id, actor)


def _documented(view: Callable[..., Any], roles: tuple[str, ...]) -> dict[str, Any]:
    doc = copy.deepcopy(getattr(view, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual["x-roles"] = list(roles)
    bearer = PUBLIC not in roles and TOKEN_IN_PATH not in roles
    manual.setdefault("security", [{"bearerAuth": []}] if bearer else [])
    return doc


def assert_every_view_declares_access(app: Flask) -> None:
    """Fail at start-up if any API view was registered without ``allow``."""
    missing = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.startswith(("api-docs.", "docs_assets")):
            continue
        view_class = getattr(view, "view_class", None)
        handlers = (
            [getattr(view_class, m.lower()) for m in view_class.methods or ()]
            if view_class is not None
            else [view]
        )
        missing += [endpoint for h in handlers if not hasattr(h, "allowed_roles")]
    if missing:
        raise RuntimeError(f"views without an access declaration: {sorted(set(missing))}")
