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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.catalogue import issuing
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import Platform
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.reports import Cell, Column, Page
from voucherbridge.reports.archive_repository import HISTORY, STORE, ZONE, ArchiveRepo
from voucherbridge.reports.common import PLATFORM_NAMES
from voucherbridge.reports.paging import dated, known, list_query, page_of, zone_named

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


# The zone each merchant's last archive page came with. The page's statement writes the codes'
# histories in a zone it must be given before it runs (SQLite shifts by the zone's offset): this
# is a guess that every page checks, since it reads the merchant's zone beside its rows; a page
# read under a wrong guess (the first in a process, or after the merchant's zone changed) has
# its histories written from its events here instead.
_ZONE_SEEN: dict[int, str] = {}
_LABELS = tuple(EVENT_NAMES.items())


def codes_page(
    uow: UnitOfWork, *, actor: Actor, filters: CodeFilter, cursor: str | None, limit: int
) -> Page:
    """One page of the archive, newest code first, each row with its history in one cell.

    For HQ one statement: the page with its names, its codes' histories and the merchant's
    zone. A manager's scope, or a date filter, reads the zone (and the scope) in one statement
    first."""
    actor.require_manager()
    status = known(filters.status, {s.value for s in CodeStatus}, "status")
    platform = known(filters.platform, {p.value for p in Platform}, "platform")
    with uow:
        archive = uow.repo(ArchiveRepo)
        zone_key, scope, first = _ZONE_SEEN.get(actor.merchant_id), None, None
        if actor.store_ids is not None or dated(filters.date_from, filters.date_to):
            zone_key, scope = archive.zone_and_scope(actor.merchant_id, actor.store_ids)
            first = zone_named(zone_key)
        q = list_query(
            actor,
            first,
            cursor,
            limit,
            filters.date_from,
            filters.date_to,
            filters.store_id,
        )
        found = archive.codes(
            q,
            scope=scope,
            status=status,
            platform=platform,
            listing_id=filters.listing_id,
            store_id=filters.store_id,
            prefix=(filters.code_prefix or "").strip().upper()[:64] or None,
            history_zone=zone_key,
            labels=_LABELS,
        )
        head = found[0] if found else None
        zone = zone_named(head[ZONE] if head else zone_key)
        if head and head[ZONE]:
            _ZONE_SEEN[actor.merchant_id] = head[ZONE]
        history: dict[int, str] | None = None
        if head is None or len(head) <= HISTORY or head[HISTORY + 1] != head[ZONE]:
            ids = [int(r[0]) for r in found[:limit]]
            history = histories(archive.events(actor.merchant_id, ids), zone)
    names = PLATFORM_NAMES
    rows: list[dict[str, Cell]] = []
    # Unpacked by position (ArchiveRepo.codes' column order): a Row's attribute costs 0.25 µs,
    # and this loop is most of a page's Python (issue #16).
    for r in found:
        cells: Sequence[Any] = r
        id_, code, status, platform, listing_id, issued, valid, used, title, store_id = cells[:10]
        rows.append(
            {
                "id": id_,
                "code": code,
                "status": status,
                "platform": names.get(platform, platform),
                "platform_code": platform,
                "listing": title or "",
                "listing_id": listing_id,
                "issued_at": issued.astimezone(zone) if issued is not None else None,
                "valid_until": valid.astimezone(zone) if valid is not None else None,
                "store": (r[STORE] or "") if store_id else "",
                "store_id": store_id,
                "redeemed_at": used.astimezone(zone) if used is not None else None,
                "history": (r[HISTORY] or "") if history is None else history.get(id_, ""),
            }
        )
    return page_of(("票券档案", "Code archive"), CODE_COLUMNS, rows, limit)


def histories(events: Sequence[Mapping[Any, Any]], zone: ZoneInfo) -> dict[int, str]:
    """Each code's events as its history cell (what the page's statement writes in SQL):
    "<local minute> <label>[ <store>]", oldest first, joined by "; "."""
    lines: dict[int, list[str]] = {}
    for e in events:
        at = e["at"].astimezone(zone).isoformat(" ", "minutes")[:16]  # strftime's 3x cost
        label = EVENT_NAMES.get(e["event"], e["event"])
        where = f" {e['store']}" if e["store"] else ""
        lines.setdefault(int(e["code_id"]), []).append(f"{at} {label}{where}")
    return {code_id: "; ".join(found) for code_id, found in lines.items()}


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
