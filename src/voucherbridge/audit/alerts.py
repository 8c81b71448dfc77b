"""Alerts for the merchant, and the audit log listing (both read the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import MerchantRepo, StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain import alerts as rules
from voucherbridge.domain.alerts import Alert

ACTIONS = (rules.REDEEMED, rules.REVERSED, rules.REJECTED, rules.REOPEN, rules.REOPEN_PARTIAL)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    reversals_threshold: int = 5
    reversals_window: timedelta = timedelta(hours=24)


def find_alerts(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    since: datetime,
    settings: AlertSettings,
    store_ids: frozenset[int] | None = None,
) -> list[dict[str, Any]]:
    """Every alert since `since`, newest first; `store_ids` limits them to a manager's stores."""
    with uow:
        merchant = uow.repo(MerchantRepo).get(merchant_id)
        zone = ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")
        events = uow.repo(AuditRepo).events(merchant_id, ACTIONS, since)
        hours = uow.repo(AuditRepo).opening_hours(merchant_id)
        names = {s.id: s.name for s in uow.repo(StoreRepo).list(merchant_id)}
    found = [
        *rules.codes_at_two_stores(events),
        *rules.many_reversals(
            events, threshold=settings.reversals_threshold, window=settings.reversals_window
        ),
        *rules.outside_opening_hours(events, hours, zone),
        *rules.platform_out_of_step(events),
    ]
    if store_ids is not None:
        found = [a for a in found if store_ids.intersection(a.store_ids)]
    found.sort(key=lambda a: a.at, reverse=True)
    return [_view(a, names, zone) for a in found]


def alerts_for(
    uow: UnitOfWork, *, actor: Actor, since: datetime, settings: AlertSettings
) -> dict[str, Any]:
    """The admin API: HQ sees the chain, a manager the alerts touching their stores."""
    actor.require_manager()
    found = find_alerts(
        uow,
        merchant_id=actor.merchant_id,
        since=since,
        settings=settings,
        store_ids=actor.store_ids,
    )
    return {"since": since.isoformat(), "count": len(found), "alerts": found}


def _view(alert: Alert, names: dict[int, str], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "kind": alert.kind,
        "at": iso(alert.at, zone),
        "stores": [{"id": s, "name": names.get(s, "")} for s in alert.store_ids],
        "audit_ids": list(alert.audit_ids),
        "detail": alert.detail,
    }


def list_audit(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str | None,
    before_id: int | None,
    limit: int,
) -> dict[str, Any]:
    """Audit rows, newest first, `limit` per page; a manager sees rows of their stores only."""
    actor.require_manager()
    with uow:
        merchant = uow.repo(MerchantRepo).get(actor.merchant_id)
        zone = ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")
        rows = uow.repo(AuditRepo).page(
            actor.merchant_id,
            store_ids=actor.store_ids,
            action=action,
            before_id=before_id,
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["at"] = iso(row["at"], zone)
    return {"items": rows, "next_before_id": rows[-1]["id"] if more else None}
