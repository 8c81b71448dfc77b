"""How times leave the service: ISO 8601 in the merchant's zone, with its offset."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 in the merchant's zone, with its offset: 2020-05-25T17:31:00+08:00."""
    return moment.astimezone(zone).isoformat() if moment else None
