"""The console's use cases: each merchant's template per event (HQ admins), and the log of the
messages queued for consumers with what became of them, in the merchant's zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.notifications import EVENTS, VALUES, check_event, check_template
from voucherbridge.notifications.repository import NotificationRepo

# status -> what the log shows
STATUS_LABELS = {
    "queued": "待发送",
    "sent": "已发送",
    "refused": "用户未关注/拒收",
    "waiting_quota": "等待额度",
    "skipped": "未发送(无模板)",
    "failed": "发送失败",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EventTemplate:
    """One event as the console shows it: its template id ("" = not sent) and mapping."""

    event: str
    label: str
    template_id: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class SentNotification:
    id: int
    event: str
    event_label: str
    code: str  # masked
    openid_tail: str
    status: str
    status_label: str
    detail: str
    created_at: str  # the merchant's zone
    updated_at: str


def list_event_templates(uow: UnitOfWork, *, actor: Actor) -> list[EventTemplate]:
    """The five events, each with the merchant's template (HQ only)."""
    actor.require_hq()
    with uow:
        saved = uow.repo(NotificationRepo).templates(actor.merchant_id)
    rows = []
    for event, label in EVENTS.items():
        setting = saved.get(event)
        rows.append(
            EventTemplate(
                event=event,
                label=label,
                template_id=setting.template_id if setting else "",
                fields=dict(setting.fields) if setting else {},
            )
        )
    return rows


def save_event_template(
    uow: UnitOfWork,
    *,
    actor: Actor,
    event: str,
    template_id: str,
    fields: Mapping[str, str],
    now: datetime,
) -> EventTemplate:
    """Set an event's template id and field mapping (empty id: the event is not sent)."""
    actor.require_hq()
    check_event(event)
    clean_id, clean_fields = check_template(template_id, fields)
    with uow:
        repo = uow.repo(NotificationRepo)
        before = repo.template(actor.merchant_id, event)
        repo.put_template(actor.merchant_id, event, clean_id, clean_fields, now)
        record_admin_change(
            uow,
            actor,
            "notification_template.save",
            event,
            {"template_id": before.template_id, "fields": before.fields} if before else None,
            {"template_id": clean_id, "fields": clean_fields},
            now,
        )
        uow.commit()
    return EventTemplate(
        event=event, label=EVENTS[event], template_id=clean_id, fields=clean_fields
    )


def list_sent(
    uow: UnitOfWork, *, actor: Actor, status: str | None = None, limit: int = 100
) -> list[SentNotification]:
    """The newest messages queued for consumers, with their status (HQ only)."""
    actor.require_hq()
    with uow:
        repo = uow.repo(NotificationRepo)
        zone = ZoneInfo(repo.timezone(actor.merchant_id))
        rows = repo.recent(actor.merchant_id, status or None, min(max(limit, 1), 500))
    return [
        SentNotification(
            id=r.id,
            event=r.event,
            event_label=EVENTS.get(r.event, r.event),
            code=r.code_masked,
            openid_tail="…" + r.openid[-4:],
            status=r.status,
            status_label=STATUS_LABELS.get(r.status, r.status),
            detail=r.detail or "",
            created_at=_local(r.created_at, zone),
            updated_at=_local(r.updated_at, zone),
        )
        for r in rows
    ]


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


VALUE_LABELS = VALUES
