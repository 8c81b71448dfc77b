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

ACTIONS = (
    rules.REDEEMED,
    rules.REVERSED,
    rules.REJECTED,
    rules.REOPEN,
    rules.REOPEN_PARTIAL,
    rules.RECONCILIATION_MISMATCH,
)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    reversals_threshold: int = 5
    reversals_window: timedelta = timedelta(hours=24)


@dataclass(frozen=True, kw_only=True)
class AlertStore:
    id: int
    name: str  # "" for a store that no longer exists


@dataclass(frozen=True, kw_only=True)
class AlertView:
    kind: str
    at: str | None
    stores: list[AlertStore]
    audit_ids: list[int]
    # What the rule found (a code, a till and its count, ...): free-form JSON, per kind.
    detail: dict[str, Any]

    @classmethod
    def of(cls, alert: Alert, names: dict[int, str], zone: ZoneInfo) -> AlertView:
        return cls(
            kind=alert.kind,
            at=iso(alert.at, zone),
            stores=[AlertStore(id=s, name=names.get(s, "")) for s in alert.store_ids],
            audit_ids=list(alert.audit_ids),
            detail=alert.detail,
        )


@dataclass(frozen=True, kw_only=True)
class AlertsView:
    since: str
    count: int
    alerts: list[AlertView]


@dataclass(frozen=True, kw_only=True)
class AuditEntryView:
    """One audit log row, its time in the merchant's zone."""

    id: int
    merchant_id: int | None
    store_id: int | None
    seq: int
    actor_type: str
    actor_id: str
    action: str
    subject: str
    # The changed object before and after, as recorded: genuinely free-form JSON.
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: str | None
    row_hash: str


@dataclass(frozen=True, kw_only=True)
class AuditPage:
    items: list[AuditEntryView]
    next_before_id: int | None


def find_alerts(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    since: datetime,
    settings: AlertSettings,
    store_ids: frozenset[int] | None = None,
) -> list[AlertView]:
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
        *rules.reconciliation_mismatches(events),
    ]
    if store_ids is not None:
        found = [a for a in found if store_ids.intersection(a.store_ids)]
    found.sort(key=lambda a: a.at, reverse=True)
    return [AlertView.of(a, names, zone) for a in found]


def alerts_for(
    uow: UnitOfWork, *, actor: Actor, since: datetime, settings: AlertSettings
) -> AlertsView:
    """The admin API: HQ sees the chain, a manager the alerts touching their stores."""
    actor.require_manager()
    found = find_alerts(
        uow,
        merchant_id=actor.merchant_id,
        since=since,
        settings=settings,
        store_ids=actor.store_ids,
    )
    return AlertsView(since=since.isoformat(), count=len(found), alerts=found)


def list_audit(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str | None,
    before_id: int | None,
    limit: int,
) -> AuditPage:
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
    items = [
        AuditEntryView(
            id=row["id"],
            merchant_id=row["merchant_id"],
            store_id=row["store_id"],
            seq=row["seq"],
            actor_type=row["actor_type"],
            actor_id=row["actor_id"],
            action=row["action"],
            subject=row["subject"],
            before=row["before"],
            after=row["after"],
            at=iso(row["at"], zone),
            row_hash=row["row_hash"],
        )
        for row in rows[:limit]
    ]
    return AuditPage(items=items, next_before_id=items[-1].id if more else None)
