"""The archive (票券档案) and the orders and redemptions lists: keyset pages, newest first.

A cursor is opaque to callers: base64url of the last row's id. Anything that does not decode to
a positive id is a validation error on `cursor`, never a server error. "Orders" are the till's
orders (消费单); the platforms' sales orders are the sales report's business. A store manager
sees the codes of templates limited to their stores and codes used at them, and the orders and
redemptions of their stores; asking for another store by id is refused like any other object
out of their reach. Cashier accounts read no reports and no lists (as no alerts): the figures
are the managers' and HQ's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.catalogue import issuing
from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import Platform
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.reports import Cell, Column, Page
from voucherbridge.reports.archive_repository import ArchiveRepo
from voucherbridge.reports.common import PLATFORM_NAMES
from voucherbridge.reports.paging import known, list_query, page_of
from voucherbridge.reports.repository import ReportRepo

# A code's events as the archive names them (Chinese msgids: the console translates them).
EVENT_NAMES = {
    "issued": "发券",
    "verified_with_platform": "平台验券",
    "redeemed": "核销",
    "reversed": "撤销",
    "voided": "退款作废",
    "expired": "过期",
}


@dataclass(frozen=True, slots=True)
class CodeFilter:
    status: str | None = None
    platform: str | None = None
    listing_id: int | None = None
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    code_prefix: str | None = None


CODE_COLUMNS = (
    Column("code", "券码", "Code", "text"),
    Column("status", "状态", "Status", "text"),
    Column("platform", "平台", "Platform", "text"),
    Column("listing", "商品", "Listing", "text"),
    Column("issued_at", "发券时间", "Issued", "datetime"),
    Column("valid_until", "有效期至", "Valid until", "datetime"),
    Column("store", "核销门店", "Redeemed at", "text"),
    Column("redeemed_at", "核销时间", "Redeemed", "datetime"),
    Column("history", "券码历史", "History", "text"),
)


def codes_page(
    uow: UnitOfWork, *, actor: Actor, filters: CodeFilter, cursor: str | None, limit: int
) -> Page:
    """One page of the archive, newest code first, each row with its history in one cell."""
    status = known(filters.status, {s.value for s in CodeStatus}, "status")
    platform = known(filters.platform, {p.value for p in Platform}, "platform")
    with uow:
        zone = merchant_zone(uow, actor.merchant_id)
        q = list_query(
            actor, zone, cursor, limit, filters.date_from, filters.date_to, filters.store_id
        )
        reports = uow.repo(ReportRepo)
        archive = uow.repo(ArchiveRepo)
        found = archive.codes(
            q,
            scope=reports.scope(actor.merchant_id, actor.store_ids),
            status=status,
            platform=platform,
            listing_id=filters.listing_id,
            store_id=filters.store_id,
            prefix=(filters.code_prefix or "").strip().upper()[:64] or None,
        )
        ids = [int(r["id"]) for r in found[:limit]]
        events = archive.events(actor.merchant_id, ids)
        stores = archive.redeeming_stores(actor.merchant_id, ids)
        names = reports.names(actor.merchant_id)
    history: dict[int, list[str]] = {}
    for e in events:
        at = e["at"].astimezone(zone).strftime("%Y-%m-%d %H:%M")
        where = names["store"].get(e["store_id"], "") if e["store_id"] else ""
        label = EVENT_NAMES.get(e["event"], e["event"])
        history.setdefault(int(e["code_id"]), []).append(
            f"{at} {label}{' ' + where if where else ''}"
        )
    rows: list[dict[str, Cell]] = []
    for r in found:
        store_id = stores.get(int(r["id"]))
        rows.append(
            {
                "id": int(r["id"]),
                "code": r["code"],
                "status": r["status"],
                "platform": PLATFORM_NAMES.get(r["platform"], r["platform"]),
                "platform_code": r["platform"],
                "listing": names["listing"].get(int(r["listing_id"]), ""),
                "listing_id": int(r["listing_id"]),
                "issued_at": _local(r["issued_at"], zone),
                "valid_until": _local(r["valid_until"], zone),
                "store": names["store"].get(store_id, "") if store_id else "",
                "store_id": store_id,
                "redeemed_at": _local(r["redeemed_at"], zone),
                "history": "; ".join(history.get(int(r["id"]), [])),
            }
        )
    return page_of(("票券档案", "Code archive"), CODE_COLUMNS, rows, limit)


def _local(value: Any, zone: ZoneInfo) -> Cell:
    return value.astimezone(zone) if value is not None else None


def code_history(uow: UnitOfWork, *, actor: Actor, code: str) -> issuing.CodeArchiveView:
    """One code's whole history (the console's code lookup), refused out of a manager's reach."""
    view = issuing.code_archive(uow, actor=actor, code=code)
    if actor.store_ids is not None:
        page = codes_page(
            uow, actor=actor, filters=CodeFilter(code_prefix=view.code), cursor=None, limit=5
        )
        if not any(row["code"] == view.code for row in page.report.rows):
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code[:32])
    return view


# The other lists live beside the archive; importable from here as the brief names them.
from voucherbridge.reports.lists import (  # noqa: E402
    OrderFilter,
    RedemptionFilter,
    orders_page,
    redemptions_page,
)

__all__ = [
    "CodeFilter",
    "OrderFilter",
    "RedemptionFilter",
    "code_history",
    "codes_page",
    "orders_page",
    "redemptions_page",
]
