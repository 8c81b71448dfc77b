"""Console lists: the code archive (票券档案), the till's orders (消费单) and the redemptions
(核销记录): filters in the query string, "下一页" by the keyset cursor, CSV and Excel of the
whole filtered list (the admin API's bytes, under the console's session)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams

from voucherbridge.catalogue import listings
from voucherbridge.chain import stores
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Page
from voucherbridge.reports import archive as lists
from voucherbridge.reports.bulk import EXPORT_PAGE, collect
from voucherbridge.reports.lists import ORDER_STATUSES, REDEMPTION_STATUSES
from voucherbridge.web.console.pages_reports import download
from voucherbridge.web.console.session import LABELS, ConsoleRoute, Session, SessionDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
PAGE = 50
CODE_STATUSES = ("issued", "redeemed", "reversed", "voided", "expired")
PLATFORMS = ("weimall", "douyin", "meituan", "direct")
LIST_LABELS = {
    **LABELS,
    "open": "未结账",
    "closed": "已结账",
    "active": "有效",
}
ListKind = Literal["codes", "orders", "redemptions"]
FILTERS: dict[str, tuple[str, ...]] = {
    "codes": ("status", "platform", "listing_id", "store_id", "from", "to", "prefix"),
    "orders": ("status", "store_id", "from", "to"),
    "redemptions": ("status", "platform", "store_id", "from", "to", "prefix"),
}


def _int(text: str, field: str) -> int | None:
    clean = text.strip()
    if not clean:
        return None
    if not clean.isdigit() or len(clean) > 18:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return int(clean)


def _day(text: str, field: str) -> date | None:
    clean = text.strip()
    if not clean:
        return None
    try:
        return date.fromisoformat(clean[:10])
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field) from exc


def asked(kind: str, params: QueryParams) -> dict[str, str]:
    """The list's filters as typed (empty ones left out), for the form and the links."""
    return {k: params.get(k, "").strip()[:64] for k in FILTERS[kind] if params.get(k, "").strip()}


def fetcher(s: Session, kind: str, shown: dict[str, str]) -> Callable[[str | None, int], Page]:
    """`fetch(cursor, limit)` for the list `kind` with the typed filters."""
    text = shown.get
    common: dict[str, Any] = {
        "status": text("status") or None,
        "store_id": _int(text("store_id", ""), "store_id"),
        "date_from": _day(text("from", ""), "from"),
        "date_to": _day(text("to", ""), "to"),
    }
    if kind == "codes":
        filters: Any = lists.CodeFilter(
            **common,
            platform=text("platform") or None,
            listing_id=_int(text("listing_id", ""), "listing_id"),
            code_prefix=text("prefix") or None,
        )
        query: Callable[..., Page] = lists.codes_page
    elif kind == "orders":
        filters, query = lists.OrderFilter(**common), lists.orders_page
    else:
        filters = lists.RedemptionFilter(
            **common, platform=text("platform") or None, code_prefix=text("prefix") or None
        )
        query = lists.redemptions_page

    def fetch(cursor: str | None, limit: int) -> Page:
        return query(s.container.uow(), actor=s.actor, filters=filters, cursor=cursor, limit=limit)

    return fetch


def _link(path: str, shown: dict[str, str], **extra: str) -> str:
    return f"{path}?{urlencode({**shown, **extra})}"


def list_context(request: Request, s: Session, kind: str) -> dict[str, Any]:
    """What a list page shows: the filter form, one page of rows, the next-page link."""
    path = "/console/codes" if kind == "codes" else f"/console/{kind}"
    shown = asked(kind, request.query_params)
    cursor = request.query_params.get("cursor") or None
    page = fetcher(s, kind, shown)(cursor, PAGE)
    uow = s.container.uow
    ctx: dict[str, Any] = {
        "kind": kind,
        "path": path,
        "shown": shown,
        "page": page,
        "paged": cursor is not None,
        "next_href": _link(path, shown, cursor=page.next_cursor) if page.next_cursor else None,
        "first_href": _link(path, shown),
        "export_csv": _link(f"{path}/export", shown, format="csv"),
        "export_xlsx": _link(f"{path}/export", shown, format="xlsx"),
        "labels": LIST_LABELS,
        "stores": stores.list_stores(uow(), actor=s.actor),
        "platforms": PLATFORMS if kind != "orders" else (),
        "statuses": {
            "codes": CODE_STATUSES,
            "orders": sorted(ORDER_STATUSES, reverse=True),
            "redemptions": sorted(REDEMPTION_STATUSES),
        }[kind],
        "listings": listings.list_listings(uow(), actor=s.actor) if kind == "codes" else [],
    }
    return ctx


@router.get("/console/orders")
def order_list(request: Request, s: SessionDep) -> Response:
    return s.page(request, "console/list.html", list_context(request, s, "orders"))


@router.get("/console/redemptions")
def redemption_list(request: Request, s: SessionDep) -> Response:
    return s.page(request, "console/list.html", list_context(request, s, "redemptions"))


@router.get("/console/{kind}/export")
def list_export(request: Request, s: SessionDep, kind: ListKind) -> Response:
    """The whole filtered list as CSV or XLSX (every page walked, capped like the API)."""
    shown = asked(kind, request.query_params)
    fetch = fetcher(s, kind, shown)
    report = collect(lambda cursor: fetch(cursor, EXPORT_PAGE))
    format = "xlsx" if request.query_params.get("format") == "xlsx" else "csv"
    return download(report, kind, format)
