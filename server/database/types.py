"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import processors


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        """:meth:`process_result_value` after the database's own parsing, in one call a value
        (``TypeDecorator`` makes two): a page of the patient list reads a thousand instants."""
        parse = self.impl_instance.result_processor(dialect, coltype)
        if dialect.name == "sqlite" and parse is processors.str_to_datetime:
            return _utc_from_text(self._aware(parse))
        return self._aware(parse)

    @staticmethod
    def _aware(parse: Any) -> Any:
        def aware(value: Any) -> datetime | None:
            if value is None:
                return None
            if parse is not None:
                value = parse(value)
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        return aware


def _utc_from_text(aware: Any) -> Any:
    """SQLite's stored UTC text parsed as UTC at once (``fromisoformat`` of the text with its
    offset): a fifth of parsing it naive and then replacing its zone, the slowest step of a
    page of the patient list's instants; a text it does not read goes through ``aware``."""
    parse = datetime.fromisoformat

    def utc(value: Any) -> datetime | None:
        if value is None:
            return None
        try:
            return parse(value + "+00:00")
        except (TypeError, ValueError):  # not stored by this type: as the database parses it
            return aware(value)

    return utc


class JSONType(sa.TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())
