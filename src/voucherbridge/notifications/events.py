"""Queueing a consumer notification with the event that causes it (flow 10).

Each function runs in the caller's transaction (the purchase, the redemption, the reversal,
the checkout), so the message exists exactly when the event does and nothing leaves the
request: the worker delivers it later (`delivery`). Nobody is told when the code has no
buyer's WeChat openid (bought elsewhere than the mall: a Douyin buyer's open_id is Douyin's),
and an event the merchant has no template for is not queued at all (logged as skipped). The
`notifications` row is the claim: one message per event of a code, whatever replays or
processes do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from voucherbridge.catalogue.issuing import Issued
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.records import OutboxMessage, Redemption
from voucherbridge.domain.vouchers import Template
from voucherbridge.notifications.repository import (
    WECHAT_BUYERS,
    Claim,
    CodeFacts,
    NotificationRepo,
    TemplateSetting,
)
from voucherbridge.outbox.repository import OutboxRepo

log = structlog.get_logger("voucherbridge.notifications")
DESTINATION = "notify"


def notify_codes_issued(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    platform: str,
    buyer_openid: str | None,
    issued: Issued,
    template: Template,
    now: datetime,
) -> int:
    """码已发放: one message per code bought (its face value, valid until). Returns how many.

    The purchase knows every fact a message tells, so nothing is read back but the merchant's
    template: with one, a purchase of any number of codes queues its messages in three
    statements; a buyer we cannot reach (no openid of ours) costs none."""
    if buyer_openid is None or platform not in WECHAT_BUYERS or not issued.ids:
        return 0
    assert issued.valid_until is not None
    valid_until = issued.valid_until.astimezone(UTC)
    messages = [
        Message(
            facts=CodeFacts(
                code_id=code_id,
                merchant_id=merchant_id,
                code=code,
                openid=buyer_openid,
                item_name=template.name,
                face_value_fen=template.face_value_fen,
                valid_until=valid_until,
                timezone=issued.timezone,
            ),
            event="issued",
            dedupe_key=f"issued:{code_id}",
            store_name="",
            amount_fen=template.face_value_fen,
            item_name=template.name,
        )
        for code_id, code in zip(issued.ids, issued.codes, strict=True)
    ]
    setting = uow.repo(NotificationRepo).template(merchant_id, "issued")
    return enqueue_many(uow, messages, setting, at=now)


def notify_redemption(uow: UnitOfWork, redemption: Redemption, event: str, now: datetime) -> int:
    """核销 / 撤销核销 of one code: the amount it took off, the store, the time (no statement
    for a platform whose buyers we cannot reach; the redeem skips the call when its scan found
    no buyer's openid on the code, as on most redemptions)."""
    if redemption.platform.value not in WECHAT_BUYERS:
        return 0  # a Douyin or Meituan buyer, or our own code's, has no openid of ours
    repo = uow.repo(NotificationRepo)
    queued = 0
    for facts, template in repo.to_tell(
        redemption.merchant_id, event, code_ids=[redemption.code_id]
    ):
        queued += enqueue(
            uow,
            facts,
            template,
            event=event,
            dedupe_key=f"{event}:{redemption.public_id}",
            store_name=repo.store_name(redemption.merchant_id, redemption.store_id)
            if template is not None
            else "",
            amount_fen=redemption.discount_fen,
            item_name=redemption.name,
            at=now,
        )
    return queued


def notify_checkout(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    store_id: int,
    order_id: int,
    total_fen: int,
    vouchers: Sequence[Redemption],
    now: datetime,
) -> int:
    """消费完成通知: one message per buyer whose vouchers paid part of the closed bill (its
    total, the store, the time; the first of their vouchers named)."""
    if not vouchers:
        return 0
    repo = uow.repo(NotificationRepo)
    by_code = {r.code_id: r for r in vouchers}
    told: set[str] = set()
    queued = 0
    for facts, template in repo.to_tell(merchant_id, "checkout", code_ids=sorted(by_code)):
        if facts.openid is None or facts.openid in told:
            continue
        told.add(facts.openid)
        queued += enqueue(
            uow,
            facts,
            template,
            event="checkout",
            # a bill reopened and closed again is a new checkout
            dedupe_key=f"checkout:{order_id}:{facts.openid}:{int(now.timestamp())}",
            store_name=repo.store_name(merchant_id, store_id) if template is not None else "",
            amount_fen=total_fen,
            item_name=by_code[facts.code_id].name,
            at=now,
        )
    return queued


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """What one message tells of one code."""

    facts: CodeFacts
    event: str
    dedupe_key: str
    store_name: str
    amount_fen: int
    item_name: str


def enqueue(
    uow: UnitOfWork,
    facts: CodeFacts,
    template: TemplateSetting | None,
    *,
    event: str,
    dedupe_key: str,
    store_name: str,
    amount_fen: int,
    item_name: str,
    at: datetime,
) -> int:
    """The message row and its outbox row, in the caller's transaction; 1 when queued."""
    message = Message(
        facts=facts,
        event=event,
        dedupe_key=dedupe_key,
        store_name=store_name,
        amount_fen=amount_fen,
        item_name=item_name,
    )
    return enqueue_many(uow, [message], template, at=at)


def enqueue_many(
    uow: UnitOfWork, messages: Sequence[Message], template: TemplateSetting | None, *, at: datetime
) -> int:
    """The message rows of one event and their outbox rows, in the caller's transaction: two
    statements however many codes. Returns how many were queued (a message claimed before is
    not queued again)."""
    wanted = [m for m in messages if m.facts.openid is not None]
    if not wanted:
        return 0
    if template is None or not template.template_id:
        for m in wanted:
            log.info(
                "notify.skipped",
                notify_event=m.event,
                reason="no_template",
                code=mask_code(m.facts.code),
            )
        return 0
    claims = [
        Claim(
            merchant_id=m.facts.merchant_id,
            event=m.event,
            dedupe_key=m.dedupe_key,
            code_id=m.facts.code_id,
            code_masked=mask_code(m.facts.code),
            openid=str(m.facts.openid),
        )
        for m in wanted
    ]
    claimed = uow.repo(NotificationRepo).claim(claims, at)
    queued = [
        _outbox_message(m, notification_id, at)
        for m in wanted
        if (notification_id := claimed.get(m.dedupe_key)) is not None
    ]
    uow.repo(OutboxRepo).add_many(queued, at)
    return len(queued)


def _outbox_message(m: Message, notification_id: int, at: datetime) -> OutboxMessage:
    return OutboxMessage(
        merchant_id=m.facts.merchant_id,
        topic=f"notify.{m.event}",
        destination=DESTINATION,
        dedupe_key=f"notify:{notification_id}",
        payload={
            "notification_id": notification_id,
            "event": m.event,
            "openid": m.facts.openid,
            "code": m.facts.code,
            "item_name": m.item_name,
            "store_name": m.store_name,
            "amount_fen": m.amount_fen,
            "at": at.isoformat(),
            "valid_until": m.facts.valid_until.isoformat(),
            "timezone": m.facts.timezone,
        },
    )
