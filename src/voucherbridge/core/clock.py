"""The one clock of production: aware UTC datetimes (tests pass their own callable)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
