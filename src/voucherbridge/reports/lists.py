"""The till's orders (消费单) and the redemptions, listed like the archive: keyset pages,
newest first, a manager's stores only (see reports/archive.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import Platform
from voucherbridge.reports import Cell, Column, Page
from voucherbridge.reports.archive_repository import ArchiveRepo
from voucherbridge.reports.common import PLATFORM_NAMES
from voucherbridge.reports.lists_repository import ListsRepo
from voucherbridge.reports.paging import dated, known, list_query, page_of, zone_named

ORDER_STATUSES = {"open", "closed"}
REDEMPTION_STATUSES = {"active", "reversed"}


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: str | None = None
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class RedemptionFilter:
    status: str | None = None
    platform: str | None = None
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    code_prefix: str | None = None


ORDER_COLUMNS = (
    Column("order_no", "单号", "Order", "text"),
    Column("store", "门店", "Store", "text"),
    Column("terminal", "收银终端", "Terminal", "text"),
    Column("table_no", "桌号", "Table", "text"),
    Column("guests", "人数", "Guests", "count"),
    Column("total_fen", "消费金额", "Total", "fen"),
    Column("status", "状态", "Status", "text"),
    Column("cashier", "收银员", "Cashier", "text"),
    Column("opened_at", "开单时间", "Opened", "datetime"),
    Column("closed_at", "结账时间", "Closed", "datetime"),
)
REDEMPTION_COLUMNS = (
    Column("public_id", "核销号", "Redemption", "text"),
    Column("code", "券码", "Code", "text"),
    Column("name", "券名", "Voucher", "text"),
    Column("platform", "平台", "Platform", "text"),
    Column("store", "门店", "Store", "text"),
    Column("terminal", "收银终端", "Terminal", "text"),
    Column("discount_fen", "抵扣金额", "Discount", "fen"),
    Column("status", "状态", "Status", "text"),
    Column("redeemed_at", "核销时间", "Redeemed", "datetime"),
    Column("reversed_at", "撤销时间", "Reversed", "datetime"),
)


def _local(value: Any, zone: ZoneInfo | None) -> Cell:
    return value.astimezone(zone) if value is not None and zone is not None else None


def _zone_first(
    uow: UnitOfWork, actor: Actor, start: date | None, end: date | None
) -> ZoneInfo | None:
    """The merchant's zone, read before the page only when its date filter needs it."""
    if not dated(start, end):
        return None
    return zone_named(uow.repo(ArchiveRepo).zone_and_scope(actor.merchant_id, None)[0])


def orders_page(
    uow: UnitOfWork, *, actor: Actor, filters: OrderFilter, cursor: str | None, limit: int
) -> Page:
    """One page of the till's orders, newest first (dates: when the order was opened). One
    statement (names and zone joined in), and the zone first when a date filter needs it."""
    status = known(filters.status, ORDER_STATUSES, "status")
    with uow:
        first = _zone_first(uow, actor, filters.date_from, filters.date_to)
        q = list_query(
            actor, first, cursor, limit, filters.date_from, filters.date_to, filters.store_id
        )
        found = uow.repo(ListsRepo).orders(
            q, store_ids=actor.store_ids, store_id=filters.store_id, status=status
        )
    zone = zone_named(found[0]["zone"]) if found else first
    rows: list[dict[str, Cell]] = [
        {
            "id": int(r["id"]),
            "order_no": r["order_no"],
            "store": r["store"] or "",
            "store_id": int(r["store_id"]),
            "terminal": (r["terminal"] or "") if r["terminal_id"] is not None else "",
            "table_no": r["table_no"],
            "guests": int(r["guests"]),
            "total_fen": int(r["total_fen"]),
            "status": r["status"],
            "cashier": r["cashier"],
            "opened_at": _local(r["opened_at"], zone),
            "closed_at": _local(r["closed_at"], zone),
        }
        for r in found
    ]
    return page_of(("消费单", "Orders"), ORDER_COLUMNS, rows, limit)


def redemptions_page(
    uow: UnitOfWork, *, actor: Actor, filters: RedemptionFilter, cursor: str | None, limit: int
) -> Page:
    """One page of redemptions, newest first (dates: when the code was redeemed). One
    statement (names and zone joined in), and the zone first when a date filter needs it."""
    status = known(filters.status, REDEMPTION_STATUSES, "status")
    platform = known(filters.platform, {p.value for p in Platform}, "platform")
    with uow:
        first = _zone_first(uow, actor, filters.date_from, filters.date_to)
        q = list_query(
            actor, first, cursor, limit, filters.date_from, filters.date_to, filters.store_id
        )
        found = uow.repo(ListsRepo).redemptions(
            q,
            store_ids=actor.store_ids,
            store_id=filters.store_id,
            platform=platform,
            status=status,
            prefix=(filters.code_prefix or "").strip().upper()[:64] or None,
        )
    zone = zone_named(found[0]["zone"]) if found else first
    rows: list[dict[str, Cell]] = [
        {
            "id": int(r["id"]),
            "public_id": r["public_id"],
            "code": r["code"],
            "name": r["name"],
            "platform": PLATFORM_NAMES.get(r["platform"], r["platform"]),
            "platform_code": r["platform"],
            "store": r["store"] or "",
            "store_id": int(r["store_id"]),
            "terminal": (r["terminal"] or "") if r["terminal_id"] is not None else "",
            "order_id": int(r["order_id"]),
            "discount_fen": int(r["discount_fen"]),
            "status": r["status"],
            "redeemed_at": _local(r["redeemed_at"], zone),
            "reversed_at": _local(r["reversed_at"], zone),
        }
        for r in found
    ]
    return page_of(("核销记录", "Redemptions"), REDEMPTION_COLUMNS, rows, limit)
