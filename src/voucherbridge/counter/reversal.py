"""Reverse a redemption (反结账退券) inside its window; the code becomes usable again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.counter.recording import enqueue_side_effects
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.views import RedemptionView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import CodeEvent, Redemption, Terminal
from voucherbridge.domain.vouchers import CodeStatus


def window_minutes(redemption: Redemption) -> int:
    """The reversal window this redemption was granted, in whole minutes."""
    return int((redemption.reversible_until - redemption.redeemed_at).total_seconds() // 60)


def reverse_redemption(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    redemption_id: str,
    reason: str | None,
    now: datetime,
) -> RedemptionView:
    """Reverse once; reversing an already reversed redemption returns it unchanged."""
    with uow:
        redemption = uow.repo(RedemptionRepo).get(terminal.merchant_id, redemption_id)
        if redemption is None or redemption.store_id != terminal.store_id:
            raise DomainError(ErrorCode.REDEMPTION_NOT_FOUND, redemption_id=redemption_id)
        zone = ZoneInfo(terminal.timezone)
        if redemption.status == "reversed":
            return RedemptionView.of(redemption, zone)
        if not uow.repo(OrderRepo).lock_open(terminal.merchant_id, redemption.order_id):
            raise DomainError(ErrorCode.ORDER_CLOSED, order_id=redemption.order_id)
        if now > redemption.reversible_until:
            raise DomainError(ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=window_minutes(redemption))
        reversed_ = apply_reversal(uow, terminal, redemption, reason, now)
        if reversed_ is None:
            uow.rollback()
            latest = uow.repo(RedemptionRepo).by_id(redemption.id)
            assert latest is not None
            return RedemptionView.of(latest, zone)
        uow.commit()
        return RedemptionView.of(reversed_, zone)


def apply_reversal(
    uow: UnitOfWork, terminal: Terminal, redemption: Redemption, reason: str | None, now: datetime
) -> Redemption | None:
    """Reverse one redemption inside the caller's transaction; None if it was not active."""
    if not uow.repo(RedemptionRepo).mark_reversed(redemption.id, now, reason):
        return None
    uow.repo(CodeRepo).compare_and_set(
        redemption.code_id, CodeStatus.REDEEMED, CodeStatus.ISSUED, now
    )
    uow.repo(CodeRepo).add_event(
        terminal.merchant_id,
        redemption.code_id,
        CodeEvent(
            "reversed",
            now,
            terminal.store_id,
            redemption.order_id,
            redemption.id,
            f"terminal:{terminal.id}",
            {"reason": reason or ""},
        ),
    )
    reversed_ = uow.repo(RedemptionRepo).by_id(redemption.id)
    assert reversed_ is not None
    enqueue_side_effects(uow, reversed_, "reversed", now)
    uow.repo(AuditRepo).add(
        terminal.merchant_id,
        actor_type="terminal",
        actor_id=str(terminal.id),
        action="redemption.reverse",
        subject=redemption.public_id,
        before={"status": "active"},
        after={
            "status": "reversed",
            "reason": reason or "",
            "code_id": redemption.code_id,
            "code": mask_code(redemption.code),
        },
        now=now,
        store_id=terminal.store_id,
    )
    return reversed_
