"""What models are built from: the declarative base, its naming convention and column types.

The engine tuning and the request transaction protocol live in ``server/database/``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.database.types import JSONType, UTCDateTime

# Models and migrations name the column types through this module (``server.db.UTCDateTime``);
# autogenerate renders them so too (``user_module_prefix`` in create_app).
__all__ = ["NAMING_CONVENTION", "Base", "JSONType", "UTCDateTime", "uuid_pk"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention so migrations are stable."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: sa.Uuid(),
        dict[str, Any]: JSONType(),
        list[Any]: JSONType(),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key minted by the server."""
    return mapped_column(primary_key=True, default=uuid.uuid4)
