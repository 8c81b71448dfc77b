"""Console page for the alerts worth a merchant's attention (read from the audit log)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from voucherbridge.audit import alerts
from voucherbridge.web.console.session import ConsoleRoute, SessionDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
DAYS = (1, 7, 30)


@router.get("/console/alerts")
def alert_list(request: Request, s: SessionDep, days: int = 7) -> Response:
    c = s.container
    days = days if days in DAYS else 7
    settings = alerts.AlertSettings(
        reversals_threshold=c.settings.alert_reversals_threshold,
        reversals_window=timedelta(hours=c.settings.alert_reversals_window_hours),
    )
    found = alerts.alerts_for(
        c.uow(), actor=s.actor, since=c.clock() - timedelta(days=days), settings=settings
    )
    ctx = {"alerts": found.alerts, "days": days, "choices": DAYS}
    return s.page(request, "console/alerts.html", ctx)
