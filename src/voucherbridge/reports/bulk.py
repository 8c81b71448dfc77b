"""A whole list out of its keyset pages, for an export: every page walked in order, capped."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Cell, Page, Report

EXPORT_PAGE = 500
EXPORT_CAP = 200_000


def walk(fetch: Callable[[str | None], Page], *, cap: int = EXPORT_CAP) -> Iterator[Page]:
    """Each page in turn from `fetch(cursor)`; refuses (validation_error) past `cap` rows so
    that one export cannot hold the server: narrow the filter, or use the CLI."""
    cursor: str | None = None
    seen = 0
    while True:
        page = fetch(cursor)
        seen += len(page.report.rows)
        if seen > cap:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="limit", reason="export_too_big")
        yield page
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def collect(fetch: Callable[[str | None], Page], *, cap: int = EXPORT_CAP) -> Report:
    """Every row of the list as one report (columns and titles of its first page)."""
    rows: list[dict[str, Cell]] = []
    first: Report | None = None
    for page in walk(fetch, cap=cap):
        first = first or page.report
        rows.extend(page.report.rows)
    assert first is not None
    return Report(first.title_zh, first.title_en, first.columns, tuple(rows))
