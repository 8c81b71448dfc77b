"""The worker's side of a notification: render the merchant's template with what the event
wrote down, send it through the `Notifier`, and keep what happened on the message's row.

Outcomes (PROTOCOLS.md §3): sent; refused by the user / not following -> recorded, the outbox
row closed as skipped, never retried; quota spent -> `waiting_quota`, retried with the outbox's
backoff; a bad template or data -> dead (visible, retryable by hand); down -> retried. A message
whose event has no template any more is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.notifications import NotificationFacts, render_fields
from voucherbridge.domain.records import OutboxRow
from voucherbridge.notifications.ports import (
    Notifier,
    NotifyFailed,
    QuotaReached,
    TemplateMessage,
    Undeliverable,
)
from voucherbridge.notifications.repository import NotificationRepo
from voucherbridge.outbox.service import (
    AfterDelivery,
    Deliverer,
    DeliveryFailed,
    NothingToDeliver,
)

NO_TEMPLATE = "未发送: 该事件没有设置消息模板 / not sent: no template for this event"
REFUSED = "未送达: 用户未关注或拒收 / not delivered: user not following/refused"
WAITING_QUOTA = "等待额度: 今日模板消息额度已用完 / waiting for the daily quota"


def facts_of(row: OutboxRow) -> NotificationFacts:
    p = row.payload
    until = p.get("valid_until")
    return NotificationFacts(
        event=str(p["event"]),
        code=str(p.get("code") or ""),
        item_name=str(p.get("item_name") or ""),
        store_name=str(p.get("store_name") or ""),
        amount_fen=int(p.get("amount_fen") or 0),
        at=datetime.fromisoformat(str(p["at"])),
        valid_until=datetime.fromisoformat(str(until)) if until else None,
        timezone=str(p.get("timezone") or "Asia/Shanghai"),
    )


def notification_deliverer(
    make_uow: UnitOfWorkFactory, notifier: Callable[[], Notifier], clock: Callable[[], datetime]
) -> Deliverer:
    """A deliverer for `notify` outbox rows (the notifier is built on first use)."""
    built: list[Notifier] = []

    def note(notification_id: int, status: str, detail: str) -> None:
        with make_uow(write=True) as uow:
            uow.repo(NotificationRepo).set_status(notification_id, status, detail, clock())
            uow.commit()

    def deliver(row: OutboxRow) -> AfterDelivery:
        notification_id = int(row.payload["notification_id"])
        facts = facts_of(row)
        with make_uow() as uow:
            template = uow.repo(NotificationRepo).template(row.merchant_id, facts.event)
        if template is None or not template.template_id or not template.fields:
            note(notification_id, "skipped", NO_TEMPLATE)
            raise NothingToDeliver(NO_TEMPLATE)
        message = TemplateMessage(
            openid=str(row.payload["openid"]),
            template_id=template.template_id,
            data=render_fields(template.fields, facts),
            client_msg_id=str(row.id),
        )
        if not built:
            built.append(notifier())
        try:
            msgid = built[0].send(message)
        except Undeliverable as exc:
            note(notification_id, "refused", f"{REFUSED} ({exc})")
            raise NothingToDeliver(f"{REFUSED} ({exc})") from exc
        except QuotaReached as exc:
            note(notification_id, "waiting_quota", WAITING_QUOTA)
            raise DeliveryFailed(f"{WAITING_QUOTA} ({exc})") from exc
        except NotifyFailed as exc:
            if exc.permanent:
                note(notification_id, "failed", str(exc))
            raise DeliveryFailed(str(exc), permanent=exc.permanent) from exc
        detail = f"msgid {msgid}" if msgid else ""

        def sent(uow: UnitOfWork) -> None:  # with the outbox row's delivery, one commit
            uow.repo(NotificationRepo).set_status(notification_id, "sent", detail, clock())

        return sent

    return deliver
