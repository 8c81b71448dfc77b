"""Console pages for the reports: the dashboard (the first page), 供货订单 and 核销报表.

Each report page takes a period (from/to in the merchant's zone, or a preset of 1/7/30 days) and
a grouping, shows the same `Report` the admin API returns, draws the redemptions, and offers the
same CSV and Excel bytes under the console's session (its cookie never reaches /api).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from voucherbridge.audit.alerts import AlertSettings
from voucherbridge.chain import users
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reports import Dashboard, GroupKey, Period, Report, export
from voucherbridge.reports import dashboard as dashboard_queries
from voucherbridge.reports.redemptions import GROUPS as REDEMPTION_GROUPS
from voucherbridge.reports.redemptions import redemptions_report
from voucherbridge.reports.sales import GROUPS as SALES_GROUPS
from voucherbridge.reports.sales import sales_report
from voucherbridge.web.console import charts
from voucherbridge.web.console.session import FIELD_LABELS, ConsoleRoute, Session, SessionDep
from voucherbridge.web.templating import translate

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
ReportKind = Literal["sales", "redemptions"]
PRESETS = (1, 7, 30)
GROUP_LABELS = {
    "store": "门店",
    "day": "日期",
    "platform": "平台",
    "listing": "商品",
    "terminal": "收银终端",
}
KINDS: dict[str, dict[str, Any]] = {
    "sales": {"groups": SALES_GROUPS, "default": ("platform", "listing"), "title": "供货订单"},
    "redemptions": {"groups": REDEMPTION_GROUPS, "default": ("store",), "title": "核销报表"},
}
PERIOD_FIELDS = {"from": "开始日期", "to": "结束日期", "group_by": "分组"}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def merchant_today(s: Session) -> tuple[date, ZoneInfo]:
    """Today's date where the merchant's stores are (the console shows their days)."""
    me = users.get_me(s.container.uow(), actor=s.actor)
    zone = ZoneInfo(me.merchant.timezone)
    return s.container.clock().astimezone(zone).date(), zone


def alert_settings(s: Session) -> AlertSettings:
    c = s.container.settings
    return AlertSettings(
        reversals_threshold=c.alert_reversals_threshold,
        reversals_window=timedelta(hours=c.alert_reversals_window_hours),
    )


def dashboard_context(s: Session) -> dict[str, Any]:
    """The dashboard's figures and charts for the console's first page (HQ and managers)."""
    if s.actor.role not in ("hq_admin", "store_manager"):
        return {"dashboard": None}
    today, _zone = merchant_today(s)
    board: Dashboard = dashboard_queries.dashboard(
        s.container.uow(), actor=s.actor, today=today, settings=alert_settings(s)
    )
    daily = [(d.strftime("%m-%d"), n) for d, n in board.daily_redemptions]
    return {
        "dashboard": board,
        "daily_chart": charts.line_chart(
            daily,
            title=translate("近30天每日核销"),
            series=translate("核销"),
            no_data=translate("暂无数据"),
        ),
        "store_chart": charts.bar_chart(
            list(board.redemptions_by_store),
            title=translate("近30天各门店核销"),
            series=translate("核销"),
            no_data=translate("暂无核销"),
        ),
    }


def _date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field) from exc


def _safe_date(text: str | None) -> date | None:
    try:
        return _date(text, "from")
    except DomainError:
        return None


def period_of(s: Session, start: str | None, end: str | None, days: int | None) -> Period:
    """The asked period: from/to as typed, else the last `days` (7 unless 1 or 30)."""
    today, _zone = merchant_today(s)
    first, last = _date(start, "from"), _date(end, "to")
    if first is None and last is None:
        span = days if days in PRESETS else 7
        return Period(today - timedelta(days=span - 1), today)
    last = last or today
    return Period(first or last, last)


def group_of(kind: str, asked: Sequence[str]) -> tuple[GroupKey, ...]:
    """The grouping as asked (the report checks each key), else the page's default."""
    keys = [k for part in asked for k in part.split(",") if k]
    return tuple(keys or KINDS[kind]["default"])


def build_report(s: Session, kind: str, period: Period, group_by: tuple[GroupKey, ...]) -> Report:
    uow = s.container.uow()
    if kind == "sales":
        return sales_report(
            uow, actor=s.actor, period=period, group_by=group_by, now=s.container.clock()
        )
    return redemptions_report(uow, actor=s.actor, period=period, group_by=group_by)


def report_chart(report: Report, group_by: Sequence[str]) -> Any:
    """Redemptions drawn by the first grouping: a line over days, else a bar per name."""
    if not group_by or "redeemed" not in {c.key for c in report.columns}:
        return None
    key = group_by[0]
    sums: dict[str, int] = {}
    for row in report.rows:
        value, label = row.get("redeemed"), row.get(key)
        if isinstance(label, date):
            label = label.strftime("%m-%d")
        name = translate(str(label)) if label is not None else "—"
        sums[name] = sums.get(name, 0) + (value if isinstance(value, int) else 0)
    points = list(sums.items())
    title = translate("核销") + " · " + translate(GROUP_LABELS.get(key, key))
    if key == "day":
        return charts.line_chart(points, title=title, series=translate("核销"))
    return charts.bar_chart(points, title=title, series=translate("核销"))


@router.get("/console/charts.css")
def chart_stylesheet(s: SessionDep) -> Response:
    """pygal's chart styles, served as a file (the pages' policy forbids inline <style>);
    behind the sign-in like every console path, though nothing in it is the merchant's."""
    del s
    return Response(
        charts.stylesheet(),
        media_type="text/css",
        headers={"cache-control": "private, max-age=3600"},
    )


@router.get("/console/reports/{kind}")
def report_page(
    request: Request,
    s: SessionDep,
    kind: ReportKind,
    start: str | None = Query(None, alias="from", max_length=32),
    end: str | None = Query(None, alias="to", max_length=32),
    days: int | None = Query(None, ge=1, le=366),
    group_by: list[str] = Query([], max_length=8),
) -> Response:
    s.actor.require_manager()
    keys = group_of(kind, group_by)
    error: DomainError | None = None
    try:
        period = period_of(s, start, end, days)
        report: Report | None = build_report(s, kind, period, keys)
    except DomainError as exc:
        if exc.code is not ErrorCode.VALIDATION_ERROR:
            raise
        # The form comes back with the message next to it (a period back to front, too long)
        error, report = exc, None
        today, _zone = merchant_today(s)
        period = Period(_safe_date(start) or today, _safe_date(end) or today)
    query = _query(period, keys)
    ctx = {
        "errors": {"form": error} if error else {},
        "field_labels": {**FIELD_LABELS, **PERIOD_FIELDS},
        "kind": kind,
        "title": KINDS[kind]["title"],
        "report": report,
        "period": period,
        "days": days if start is None and end is None else None,
        "presets": PRESETS,
        "groups": KINDS[kind]["groups"],
        "group_labels": GROUP_LABELS,
        "group_by": keys,
        "chart": report_chart(report, keys) if report and kind == "redemptions" else None,
        "export_csv": f"/console/reports/{kind}/export?format=csv&{query}",
        "export_xlsx": f"/console/reports/{kind}/export?format=xlsx&{query}",
    }
    return s.page(request, "console/report.html", ctx, 400 if error else 200)


@router.get("/console/reports/{kind}/export")
def report_export(
    s: SessionDep,
    kind: ReportKind,
    format: Literal["csv", "xlsx"] = "csv",
    start: str | None = Query(None, alias="from", max_length=32),
    end: str | None = Query(None, alias="to", max_length=32),
    group_by: list[str] = Query([], max_length=8),
) -> Response:
    """The report's CSV (UTF-8 with BOM) or XLSX, the admin API's bytes."""
    s.actor.require_manager()
    period = period_of(s, start, end, None)
    report = build_report(s, kind, period, group_of(kind, group_by))
    return download(report, f"{kind}-{period.start}-{period.end}", format)


def download(report: Report, stem: str, format: str) -> Response:
    """A report as a file to save: CSV or XLSX, named `stem`."""
    body = export.to_xlsx(report) if format == "xlsx" else export.to_csv(report)
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"content-disposition": f'attachment; filename="{stem}.{format}"'},
    )


def _query(period: Period, keys: Sequence[str]) -> str:
    return f"from={period.start}&to={period.end}&group_by={','.join(keys)}"
