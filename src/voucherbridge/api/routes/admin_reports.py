"""Admin API: the reports (sales, redemptions, dashboard) and the archive lists, as JSON or as
CSV / XLSX downloads. Dates are the merchant's days; money is fen in JSON, yuan in files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Protocol

from fastapi import Query, Response

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_audit import alert_settings
from voucherbridge.api.routes.admin_common import admin_router
from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Dashboard, Page, Report
from voucherbridge.reports import archive as lists
from voucherbridge.reports.bulk import EXPORT_PAGE, collect
from voucherbridge.reports.common import parse_group_by, parse_optional_day, parse_period
from voucherbridge.reports.dashboard import dashboard, today_for
from voucherbridge.reports.export import to_csv, to_xlsx
from voucherbridge.reports.redemptions import redemptions_report
from voucherbridge.reports.sales import sales_report

router = admin_router()

FORMATS = ("json", "csv", "xlsx")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Text = Annotated[str | None, Query(max_length=200)]
FromQ = Annotated[str | None, Query(alias="from", max_length=20, description="YYYY-MM-DD")]
ToQ = Annotated[str | None, Query(alias="to", max_length=20, description="YYYY-MM-DD")]
IdQ = Annotated[int | None, Query(ge=1, le=2**62)]
LimitQ = Annotated[int, Query(ge=1, le=500)]


def _format(value: str | None) -> str:
    chosen = (value or "json").strip().lower()
    if chosen not in FORMATS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="format", value=chosen[:16])
    return chosen


def _file(report: Report, fmt: str, name: str) -> Response:
    body = to_csv(report) if fmt == "csv" else to_xlsx(report)
    return Response(
        content=body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _span(start: date | None, end: date | None) -> str:
    return f"{start or 'all'}_{end or 'all'}"


@router.get("/reports/dashboard", response_model=Dashboard)
def get_dashboard(actor: ActorDep, c: ContainerDep) -> Dashboard:
    """Today, the last 7 and 30 days: codes sold, used, reversed, discount, sync failures,
    alerts, by store and platform; uses per day over 30 days and per store."""
    today = today_for(c.uow(), actor=actor, now=c.clock())
    return dashboard(c.uow(), actor=actor, today=today, settings=alert_settings(c))


@router.get("/reports/sales", response_model=Report)
def get_sales(
    actor: ActorDep,
    c: ContainerDep,
    start: FromQ = None,
    end: ToQ = None,
    group_by: Text = None,
    format: Text = None,
) -> Report | Response:
    """供货订单: codes sold per platform / listing / store (the redeeming store) / day."""
    fmt = _format(format)
    period = parse_period(start, end)
    keys = parse_group_by(group_by, ("platform", "listing"))
    report = sales_report(
        c.uow(),
        actor=actor,
        period=period,
        group_by=keys,
        now=c.clock(),
    )
    if fmt == "json":
        return report
    return _file(report, fmt, f"sales_{period.start}_{period.end}")


@router.get("/reports/redemptions", response_model=Report)
def get_redemptions(
    actor: ActorDep,
    c: ContainerDep,
    start: FromQ = None,
    end: ToQ = None,
    group_by: Text = None,
    format: Text = None,
) -> Report | Response:
    """Uses, reversals, net and discount per store / day / platform / listing / terminal."""
    fmt = _format(format)
    period = parse_period(start, end)
    keys = parse_group_by(group_by, ("store", "day"))
    report = redemptions_report(c.uow(), actor=actor, period=period, group_by=keys)
    if fmt == "json":
        return report
    return _file(report, fmt, f"redemptions_{period.start}_{period.end}")


class _Filters(Protocol):
    @property
    def date_from(self) -> date | None: ...
    @property
    def date_to(self) -> date | None: ...


def _list(
    c: Container,
    actor: Actor,
    page_of: Callable[..., Page],
    filters: _Filters,
    *,
    name: str,
    fmt: str | None,
    cursor: str | None,
    limit: int,
) -> Page | Response:
    """One page as JSON, or (`format=csv|xlsx`) every page of the filtered list as a file."""
    chosen = _format(fmt)

    def fetch(after: str | None, n: int) -> Page:
        return page_of(c.uow(), actor=actor, filters=filters, cursor=after, limit=n)

    if chosen == "json":
        return fetch(cursor, limit)
    span = _span(filters.date_from, filters.date_to)
    return _file(collect(lambda after: fetch(after, EXPORT_PAGE)), chosen, f"{name}_{span}")


@router.get("/codes", response_model=Page)
def list_codes(
    actor: ActorDep,
    c: ContainerDep,
    status: Text = None,
    platform: Text = None,
    store_id: IdQ = None,
    listing_id: IdQ = None,
    start: FromQ = None,
    end: ToQ = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Text = None,
    limit: LimitQ = 50,
    format: Text = None,
) -> Page | Response:
    """票券档案: every code, newest first, with its history; filter, then page with `cursor`
    (`format=csv|xlsx`: the whole filtered list as a file)."""
    filters = lists.CodeFilter(
        status=status,
        platform=platform,
        listing_id=listing_id,
        store_id=store_id,
        date_from=parse_optional_day(start, "from"),
        date_to=parse_optional_day(end, "to"),
        code_prefix=prefix,
    )
    return _list(
        c, actor, lists.codes_page, filters, name="codes", fmt=format, cursor=cursor, limit=limit
    )


@router.get("/orders", response_model=Page)
def list_orders(
    actor: ActorDep,
    c: ContainerDep,
    status: Text = None,
    store_id: IdQ = None,
    start: FromQ = None,
    end: ToQ = None,
    cursor: Text = None,
    limit: LimitQ = 50,
    format: Text = None,
) -> Page | Response:
    """The tills' orders (消费单), newest first; page with `cursor`."""
    filters = lists.OrderFilter(
        status=status,
        store_id=store_id,
        date_from=parse_optional_day(start, "from"),
        date_to=parse_optional_day(end, "to"),
    )
    return _list(
        c, actor, lists.orders_page, filters, name="orders", fmt=format, cursor=cursor, limit=limit
    )


@router.get("/redemptions", response_model=Page)
def list_redemptions(
    actor: ActorDep,
    c: ContainerDep,
    status: Text = None,
    platform: Text = None,
    store_id: IdQ = None,
    start: FromQ = None,
    end: ToQ = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Text = None,
    limit: LimitQ = 50,
    format: Text = None,
) -> Page | Response:
    """Redemptions, newest first (reversed ones too); page with `cursor`."""
    filters = lists.RedemptionFilter(
        status=status,
        platform=platform,
        store_id=store_id,
        date_from=parse_optional_day(start, "from"),
        date_to=parse_optional_day(end, "to"),
        code_prefix=prefix,
    )
    return _list(
        c,
        actor,
        lists.redemptions_page,
        filters,
        name="redemptions",
        fmt=format,
        cursor=cursor,
        limit=limit,
    )
