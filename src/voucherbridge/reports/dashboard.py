"""The dashboard (the console's first page): today, the last 7 and the last 30 days.

Each window counts codes sold (by sale time; scoped like the sales report), uses, reversals and
the net discount (each by its own time, like the redemptions report), outbox rows queued in it
that failed to sync, and the alerts raised in it; with the window's uses by store and platform.
Days are the merchant's; "today" is the caller's local date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from voucherbridge.audit.alerts import AlertSettings, find_alerts
from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.alerts import parse_opening_hours
from voucherbridge.reports import Dashboard, Period, Report, WindowTotals
from voucherbridge.reports.alerts_repository import AlertCount, AlertCountRepo
from voucherbridge.reports.common import GROUP_COLUMNS, days_of, number, totals_of
from voucherbridge.reports.redemptions import FIGURES, redemption_rows
from voucherbridge.reports.repository import ReportRepo, Window

WINDOWS = ((1, "今天", "Today"), (7, "近7天", "Last 7 days"), (30, "近30天", "Last 30 days"))


def dashboard(
    uow: UnitOfWork,
    *,
    actor: Actor,
    today: date,
    settings: AlertSettings | None = None,
) -> Dashboard:
    """The three windows ending `today`, daily uses over 30 days (0 on quiet days), and the
    30 days' uses per store."""
    actor.require_manager()
    with uow:
        zone = merchant_zone(uow, actor.merchant_id)
        repo = uow.repo(ReportRepo)
        scope = repo.scope(actor.merchant_id, actor.store_ids)
        names = repo.names(actor.merchant_id)
        figures = []
        for days, label_zh, label_en in WINDOWS:
            window = Window(today - timedelta(days=days - 1), today, zone)
            rows = redemption_rows(
                uow, actor=actor, window=window, keys=("store", "platform"), names=names
            )
            figures.append(
                (
                    window,
                    label_zh,
                    label_en,
                    rows,
                    repo.sold(actor.merchant_id, window=window, scope=scope),
                    repo.sync_failures(actor.merchant_id, window=window, store_ids=actor.store_ids),
                )
            )
        month = figures[-1][0]
        daily = redemption_rows(uow, actor=actor, window=month, keys=("day",), names=names)
        by_store = redemption_rows(uow, actor=actor, window=month, keys=("store",), names=names)
        alerts = alert_counts(uow, actor, [f[0] for f in figures], settings or AlertSettings())
    if alerts is None:  # SQLite and a zone of changing offsets: the rules in Python
        alerts = _counted_in_python(uow, actor, [f[0] for f in figures], settings)
    windows = []
    columns = (GROUP_COLUMNS["store"], GROUP_COLUMNS["platform"], *FIGURES)
    for (_window, label_zh, label_en, rows, sold, failures), raised in zip(
        figures, alerts, strict=True
    ):
        totals = totals_of(rows, FIGURES)
        windows.append(
            WindowTotals(
                label_zh=label_zh,
                label_en=label_en,
                sold=sold,
                redeemed=totals["redeemed"],
                reversed=totals["reversed"],
                discount_fen=totals["discount_fen"],
                sync_failures=failures,
                alerts=raised,
                by_store_platform=Report(
                    title_zh=f"{label_zh}门店与平台",
                    title_en=f"{label_en} by store and platform",
                    columns=columns,
                    rows=tuple(rows),
                    totals=totals,
                ),
            )
        )
    per_day = {row["day"]: number(row["redeemed"]) for row in daily}
    return Dashboard(
        today=today,
        zone=zone.key,
        windows=tuple(windows),
        daily_redemptions=tuple(
            (day, per_day.get(day, 0)) for day in days_of(Period(month.first, month.last))
        ),
        redemptions_by_store=tuple(
            sorted(
                ((str(row["store"]), number(row["redeemed"])) for row in by_store),
                key=lambda pair: (-pair[1], pair[0]),
            )
        ),
    )


def today_for(uow: UnitOfWork, *, actor: Actor, now: datetime) -> date:
    """The merchant's date at `now` (the dashboard's "today")."""
    with uow:
        return now.astimezone(merchant_zone(uow, actor.merchant_id)).date()


def alert_counts(
    uow: UnitOfWork, actor: Actor, windows: Sequence[Window], settings: AlertSettings
) -> tuple[int, ...] | None:
    """The alerts raised in each window (as the alerts page lists them from the first window's
    start), counted in the database; None when it cannot tell the merchant's local times."""
    hours: dict[int, list[tuple[time, time]]] = {}
    for store_id, text in uow.repo(AuditRepo).opening_hours(actor.merchant_id).items():
        try:
            hours[store_id] = parse_opening_hours(text)
        except ValueError:
            hours[store_id] = []  # as the rule: unreadable hours must not hide other alerts
    since = min(w.start for w in windows)
    query = AlertCount(
        merchant_id=actor.merchant_id,
        since=since,
        windows=tuple((w.start, w.end) for w in windows),
        zone=windows[0].zone,
        hours=hours,
        threshold=settings.reversals_threshold,
        window=settings.reversals_window,
        store_ids=actor.store_ids,
    )
    return uow.repo(AlertCountRepo).counts(query)


def _counted_in_python(
    uow: UnitOfWork, actor: Actor, windows: Sequence[Window], settings: AlertSettings | None
) -> tuple[int, ...]:
    found = find_alerts(
        uow,
        merchant_id=actor.merchant_id,
        since=min(w.start for w in windows),
        settings=settings or AlertSettings(),
        store_ids=actor.store_ids,
    )
    times = [datetime.fromisoformat(a.at).astimezone(UTC) for a in found if a.at]
    return tuple(sum(1 for at in times if w.start <= at < w.end) for w in windows)
