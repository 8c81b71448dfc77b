"""Reports: what a merchant reads every morning (dashboard, sales, redemptions, archive).

The shapes below are the contract between the queries (reports/*.py), the admin API, the CLI
and the console pages; every number is integer fen or a count, every day a date in the
merchant's zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

GroupKey = Literal["store", "day", "platform", "listing", "terminal"]
ColumnKind = Literal["text", "count", "fen", "date", "datetime"]
Cell = str | int | date | datetime | None


@dataclass(frozen=True)
class Period:
    """Days in the merchant's zone, both ends included."""

    start: date
    end: date


@dataclass(frozen=True)
class Column:
    key: str
    label_zh: str
    label_en: str
    kind: ColumnKind


@dataclass(frozen=True)
class Report:
    """One table: columns in display order, rows keyed by Column.key, totals of the numbers."""

    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Cell], ...]
    totals: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WindowTotals:
    """Dashboard figures over one window (today, last 7 days, last 30 days)."""

    label_zh: str
    label_en: str
    sold: int
    redeemed: int
    reversed: int
    discount_fen: int
    sync_failures: int
    alerts: int
    by_store_platform: Report


@dataclass(frozen=True)
class Dashboard:
    today: date
    zone: str
    windows: tuple[WindowTotals, ...]
    daily_redemptions: tuple[tuple[date, int], ...]  # last 30 days, oldest first, gaps as 0
    redemptions_by_store: tuple[tuple[str, int], ...]  # last 30 days, store name -> count


@dataclass(frozen=True)
class Page:
    """One keyset page of a list; `next_cursor` is opaque and None on the last page."""

    report: Report
    next_cursor: str | None
