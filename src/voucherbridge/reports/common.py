"""What the reports share: checking a period and a grouping, the group columns, totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast
from zoneinfo import ZoneInfo

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Cell, Column, GroupKey, Period
from voucherbridge.reports.repository import Window, as_date

MAX_DAYS = 366
PLATFORM_NAMES = {"weimall": "微商城", "douyin": "抖音", "meituan": "美团", "direct": "直销"}

# The column each grouping adds, in display order, and the id it is named from.
GROUP_COLUMNS: dict[str, Column] = {
    "day": Column("day", "日期", "Day", "date"),
    "store": Column("store", "门店", "Store", "text"),
    "platform": Column("platform", "平台", "Platform", "text"),
    "listing": Column("listing", "商品", "Listing", "text"),
    "terminal": Column("terminal", "收银终端", "Terminal", "text"),
}


def parse_day(text: str | None, field: str) -> date:
    """A YYYY-MM-DD day from a query string or the command line; the field named if not."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field) from None


def parse_optional_day(text: str | None, field: str) -> date | None:
    return parse_day(text, field) if text and text.strip() else None


def parse_period(start: str | None, end: str | None) -> Period:
    """`from` and `to` as given by a person: both days, checked (see `check_period`)."""
    return check_period(Period(parse_day(start, "from"), parse_day(end, "to")))


def parse_group_by(text: str | None, default: Sequence[str]) -> list[str]:
    """ "store,day" -> ["store", "day"]; empty: the default."""
    keys = [k.strip() for k in (text or "").split(",") if k.strip()]
    return keys or list(default)


def check_period(period: Period) -> Period:
    """From before to, at most a year: anything else is the caller's mistake (field named)."""
    if period.start > period.end:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="from", reason="from_after_to")
    if (period.end - period.start).days + 1 > MAX_DAYS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="to", reason="period_too_long")
    return period


def check_group_by(group_by: Sequence[str], allowed: Iterable[str]) -> tuple[GroupKey, ...]:
    """Known keys, each once, in the order given; a key not offered is a validation error."""
    allowed = tuple(allowed)
    keys: list[GroupKey] = []
    for key in group_by:
        if key not in allowed:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="group_by", value=str(key)[:32])
        if key not in keys:
            keys.append(cast(GroupKey, key))
    return tuple(keys)


def window_of(period: Period, zone: ZoneInfo) -> Window:
    return Window(period.start, period.end, zone)


def group_cells(
    keys: Sequence[str], row: dict[str, Any], names: dict[str, dict[int, str]]
) -> dict[str, Cell]:
    """The display cells of one aggregated row's group (names for ids), ids kept beside."""
    cells: dict[str, Cell] = {}
    for key in keys:
        value = row.get(key)
        if key == "day":
            cells["day"] = as_date(value) if value is not None else None
        elif key == "platform":
            cells["platform"] = PLATFORM_NAMES.get(str(value), str(value))
            cells["platform_code"] = str(value)
        elif value is None:
            cells[key] = "未核销" if key == "store" else "—"
            cells[f"{key}_id"] = None
        else:
            cells[key] = names[key].get(int(value), f"#{value}")
            cells[f"{key}_id"] = int(value)
    return cells


def group_key(keys: Sequence[str], row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(str(as_date(row[k])) if k == "day" else row[k] for k in keys)


def sort_rows(rows: list[dict[str, Cell]], keys: Sequence[str]) -> list[dict[str, Cell]]:
    """Days in order, then names: the same table whatever order the database returned."""

    def order(row: dict[str, Cell]) -> tuple[str, ...]:
        return tuple(str(row.get(k) or "") for k in keys)

    return sorted(rows, key=order)


def totals_of(rows: Sequence[dict[str, Cell]], columns: Sequence[Column]) -> dict[str, int]:
    numbers = [c.key for c in columns if c.kind in ("count", "fen")]
    return {key: sum(number(row.get(key)) for row in rows) for key in numbers}


def number(cell: Cell) -> int:
    """A count or fen cell as an int (an empty cell is 0)."""
    return cell if isinstance(cell, int) else 0


def days_of(period: Period) -> list[date]:
    return [
        date.fromordinal(d) for d in range(period.start.toordinal(), period.end.toordinal() + 1)
    ]
