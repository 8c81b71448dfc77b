"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class _SQLiteUTCText(sqlite.DATETIME):
    """SQLite's DATETIME column (the same DDL, the same text in it) that leaves both conversions
    to UTCDateTime: one C call per value each way, where SQLAlchemy's formats a dict going in
    and `datetime.replace(tzinfo=...)` costs 0.6 µs coming out (issue #16: 150 of them on an
    archive page)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None

    def literal_processor(self, dialect: Dialect) -> Any:
        return lambda value: "NULL" if value is None else f"'{value}'"


_from_iso = datetime.fromisoformat
_SQLITE_TEXT = _SQLiteUTCText()  # type: ignore[no-untyped-call]  # SQLAlchemy's own is untyped


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused on the way in.

    SQLite keeps them as naive UTC text, "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's format)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return _SQLITE_TEXT if dialect.name == "sqlite" else self.impl_instance

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:26] if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite's text, naive UTC
            try:
                read = _from_iso(value + "+00:00")
                if read.tzinfo is not None:  # a bare date ignores the suffix
                    return read
            except ValueError:  # written with an offset by hand
                pass
            value = _from_iso(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
