"""Keyset paging shared by the lists: the opaque cursor, the checks, the page's shape."""

from __future__ import annotations

import base64
import binascii
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from voucherbridge.core.actor import Actor
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Cell, Column, Page, Report
from voucherbridge.reports.archive_repository import ListQuery
from voucherbridge.reports.repository import local_midnight

MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="cursor") from None
    kind, _, number = text.partition(":")
    if kind != "id" or not number.isdigit() or not 0 < int(number) <= 2**62:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="cursor")
    return int(number)


def zone_named(key: str | None) -> ZoneInfo:
    """The merchant's zone from its key as a page or `zone_and_scope` read it (merchant_zone's
    default when there is none)."""
    return ZoneInfo(key or "Asia/Shanghai")


def dated(start: date | None, end: date | None) -> bool:
    """True when a list's date filter needs the merchant's zone before its page is read."""
    return start is not None or end is not None


def list_query(
    actor: Actor,
    zone: ZoneInfo | None,
    cursor: str | None,
    limit: int,
    start: date | None,
    end: date | None,
    store_id: int | None,
) -> ListQuery:
    actor.require_manager()
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="limit")
    if start is not None and end is not None and start > end:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="from", reason="from_after_to")
    if store_id is not None:
        actor.require_store(store_id)
    if zone is None and dated(start, end):
        raise RuntimeError("a dated list needs the merchant's zone")
    return ListQuery(
        merchant_id=actor.merchant_id,
        after=decode_cursor(cursor),
        limit=limit + 1,
        start=local_midnight(start, zone) if start and zone else None,
        end=local_midnight(end + timedelta(days=1), zone) if end and zone else None,
    )


def known(value: str | None, allowed: set[str], field: str) -> str | None:
    if value and value not in allowed:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field, value=value[:32])
    return value or None


def page_of(
    title: tuple[str, str], columns: tuple[Column, ...], rows: list[dict[str, Cell]], limit: int
) -> Page:
    more = len(rows) > limit
    shown = rows[:limit]
    last = shown[-1]["id"] if more and shown else None
    return Page(
        report=Report(title_zh=title[0], title_en=title[1], columns=columns, rows=tuple(shown)),
        next_cursor=encode_cursor(int(last)) if isinstance(last, int) else None,
    )
