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
from datetime import datetime

import structlog

from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.records import OutboxMessage, Redemption
from voucherbridge.notifications.repository import (
    WECHAT_BUYERS,
    CodeFacts,
    NotificationRepo,
    TemplateSetting,
)
from voucherbridge.outbox.repository import OutboxRepo

log = structlog.get_logger("voucherbridge.notifications")
DESTINATION = "notify"


def notify_codes_issued(
    uow: UnitOfWork, *, merchant_id: int, codes: Sequence[str], now: datetime
) -> int:
    """码已发放: one message per code bought (its face value, valid until). Returns how many."""
    queued = 0
    for facts, template in uow.repo(NotificationRepo).to_tell(
        merchant_id, "issued", codes=list(codes)
    ):
        queued += enqueue(
            uow,
            facts,
            template,
            event="issued",
            dedupe_key=f"issued:{facts.code_id}",
            store_name="",
            amount_fen=facts.face_value_fen,
            item_name=facts.item_name,
            at=now,
        )
    return queued


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
    if facts.openid is None:
        return 0
    repo = uow.repo(NotificationRepo)
    if template is None or not template.template_id:
        log.info(
            "notify.skipped", notify_event=event, reason="no_template", code=mask_code(facts.code)
        )
        return 0
    notification_id = repo.claim(
        merchant_id=facts.merchant_id,
        event=event,
        dedupe_key=dedupe_key,
        code_id=facts.code_id,
        code_masked=mask_code(facts.code),
        openid=facts.openid,
        now=at,
    )
    if notification_id is None:
        return 0
    uow.repo(OutboxRepo).add(
        OutboxMessage(
            merchant_id=facts.merchant_id,
            topic=f"notify.{event}",
            destination=DESTINATION,
            dedupe_key=f"notify:{notification_id}",
            payload={
                "notification_id": notification_id,
                "event": event,
                "openid": facts.openid,
                "code": facts.code,
                "item_name": item_name,
                "store_name": store_name,
                "amount_fen": amount_fen,
                "at": at.isoformat(),
                "valid_until": facts.valid_until.isoformat(),
                "timezone": facts.timezone,
            },
        ),
        at,
    )
    return 1
