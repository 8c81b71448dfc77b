"""Alerts worth a merchant's attention, computed from audit events (pure rules, no I/O).

- the same code tried at two stores (a shared screenshot, a reseller, a leaked batch);
- many reversals by one till in a short time (redeem, pocket the cash, reverse);
- redemptions outside the store's opening hours (a till used after closing);
- a 反结账 that cancelled some of an order's platform codes and then failed (the platform and
  our books disagree until the order is reopened);
- a nightly reconciliation (对账) whose platform statement disagrees with our redemptions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

REDEEMED = "redemption.redeem"
REVERSED = "redemption.reverse"
REJECTED = "voucher.attempt_rejected"
REOPEN = "order.reopen"
REOPEN_PARTIAL = "order.reopen_partial"
RECONCILIATION_MISMATCH = "reconciliation.mismatch"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """The parts of an audit row the alert rules read."""

    id: int
    action: str
    actor_type: str
    actor_id: str
    store_id: int | None
    at: datetime
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Alert:
    # code_at_two_stores | many_reversals | outside_opening_hours | platform_out_of_step |
    # reconciliation_mismatch
    kind: str
    at: datetime  # the latest event behind the alert
    store_ids: tuple[int, ...]
    audit_ids: tuple[int, ...]
    detail: dict[str, Any] = field(default_factory=dict)


def parse_opening_hours(text: str | None) -> list[tuple[time, time]]:
    """Ranges from text like 10:00-14:00,17:00-02:00; an end before its start is past midnight."""
    ranges: list[tuple[time, time]] = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"opening hours need start-end: {part!r}")
        ranges.append((_clock(start), _clock(end)))
    return ranges


def _clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    hour = int(hours)
    return time(0, 0) if hour == 24 else time(hour, int(minutes or 0))


def is_open(ranges: Sequence[tuple[time, time]], local: datetime) -> bool:
    """True when `local` (the store's wall clock) falls in one of the ranges, or none are set."""
    if not ranges:
        return True
    now = local.time().replace(tzinfo=None)
    for start, end in ranges:
        if start < end and start <= now < end:
            return True
        if end <= start and (now >= start or now < end):
            return True
    return False


def codes_at_two_stores(events: Iterable[AuditEvent]) -> list[Alert]:
    """A code redeemed or tried at one store and then tried at another."""
    by_code: dict[Any, list[AuditEvent]] = defaultdict(list)
    for event in events:
        code_id = (event.after or {}).get("code_id")
        if event.action in (REDEEMED, REJECTED) and code_id is not None and event.store_id:
            by_code[code_id].append(event)
    alerts = []
    for code_id, seen in by_code.items():
        stores = sorted({e.store_id for e in seen if e.store_id is not None})
        if len(stores) < 2:
            continue
        alerts.append(
            Alert(
                "code_at_two_stores",
                max(e.at for e in seen),
                tuple(stores),
                tuple(e.id for e in seen),
                {"code_id": code_id, "code": (seen[-1].after or {}).get("code", "")},
            )
        )
    return alerts


def many_reversals(
    events: Iterable[AuditEvent], *, threshold: int, window: timedelta
) -> list[Alert]:
    """`threshold` or more reversals by one actor (till or user) inside `window`."""
    by_actor: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.action == REVERSED:
            by_actor[(event.actor_type, event.actor_id)].append(event)
    alerts = []
    for (actor_type, actor_id), seen in by_actor.items():
        seen.sort(key=lambda e: e.at)
        start = 0
        best: list[AuditEvent] = []
        for end, event in enumerate(seen):
            while event.at - seen[start].at > window:
                start += 1
            if end - start + 1 > len(best):
                best = seen[start : end + 1]
        if len(best) >= threshold:
            alerts.append(
                Alert(
                    "many_reversals",
                    best[-1].at,
                    tuple(sorted({e.store_id for e in best if e.store_id is not None})),
                    tuple(e.id for e in best),
                    {"actor_type": actor_type, "actor_id": actor_id, "count": len(best)},
                )
            )
    return alerts


def outside_opening_hours(
    events: Iterable[AuditEvent], hours: Mapping[int, str | None], zone: ZoneInfo
) -> list[Alert]:
    """Redemptions whose store was closed at the time, by the store's own opening hours."""
    parsed: dict[int, list[tuple[time, time]]] = {}
    for store_id, text in hours.items():
        try:
            parsed[store_id] = parse_opening_hours(text)
        except ValueError:
            parsed[store_id] = []  # unreadable hours must not hide the other alerts
    alerts = []
    for event in events:
        if event.action != REDEEMED or event.store_id is None:
            continue
        local = event.at.astimezone(zone)
        if is_open(parsed.get(event.store_id, []), local):
            continue
        alerts.append(
            Alert(
                "outside_opening_hours",
                event.at,
                (event.store_id,),
                (event.id,),
                {
                    "local_time": local.strftime("%Y-%m-%d %H:%M"),
                    "opening_hours": hours.get(event.store_id) or "",
                    "actor_id": event.actor_id,
                    "code": (event.after or {}).get("code", ""),
                },
            )
        )
    return alerts


def platform_out_of_step(events: Iterable[AuditEvent]) -> list[Alert]:
    """Partial 反结账 not yet followed by a 反结账 of the same order that went through."""
    events = sorted(events, key=lambda e: (e.at, e.id))
    reopened_at: dict[Any, datetime] = {}
    for event in events:
        if event.action == REOPEN:
            reopened_at[(event.after or {}).get("order_id")] = event.at
    alerts = []
    for event in events:
        detail = event.after or {}
        if event.action != REOPEN_PARTIAL:
            continue
        later = reopened_at.get(detail.get("order_id"))
        if later is not None and later >= event.at:
            continue
        alerts.append(
            Alert(
                "platform_out_of_step",
                event.at,
                (event.store_id,) if event.store_id is not None else (),
                (event.id,),
                {
                    "order_id": detail.get("order_id"),
                    "cancelled": list(detail.get("cancelled") or []),
                    "reason": detail.get("reason", ""),
                },
            )
        )
    return alerts


def reconciliation_mismatches(events: Iterable[AuditEvent]) -> list[Alert]:
    """Each nightly reconciliation run that found the platform's statement out of step."""
    return [
        Alert(
            "reconciliation_mismatch",
            event.at,
            (event.store_id,) if event.store_id is not None else (),
            (event.id,),
            dict(event.after or {}),
        )
        for event in events
        if event.action == RECONCILIATION_MISMATCH
    ]
