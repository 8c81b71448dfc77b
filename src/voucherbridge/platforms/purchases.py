"""A platform tells us a consumer bought or refunded merchant codes (flow 4).

Purchase issues N codes under the listing the platform names (our listing id, pasted into the
platform as 商家平台商品ID), idempotent on the platform order id: a replayed callback gets the
same codes. Refund voids the unused codes of that order; a used code is refused, by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

import structlog

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.catalogue.issuing import issue_codes
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import CodeEvent
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.notifications.events import notify_codes_issued

log = structlog.get_logger("voucherbridge.platform_orders")


@dataclass(frozen=True)
class Purchased:
    codes: list[str]
    created: bool


@dataclass(frozen=True, kw_only=True)
class RefusedCode:
    """A code of the refund that stays as it is, and why."""

    code: str
    reason: Literal["not_found", "already_redeemed"]


@dataclass
class Refunded:
    voided: list[str] = field(default_factory=list)
    refused: list[RefusedCode] = field(default_factory=list)


def purchase_in(
    uow: UnitOfWork,
    *,
    platform: str,
    merchant_id: int,
    listing_public_id: str,
    platform_order_id: str,
    quantity: int,
    buyer_openid: str | None,
    now: datetime,
) -> Purchased:
    """Issue the order's codes once, in the caller's transaction; a replay returns the codes
    of the first call."""
    listing = uow.repo(ListingRepo).by_public_id(listing_public_id)
    if (
        listing is None
        or listing.merchant_id != merchant_id
        or listing.platform.value != platform
        or not listing.active
    ):
        raise DomainError(ErrorCode.NOT_FOUND, what="listing")
    # A disabled template (or listing) stops new sales; codes sold before keep redeeming.
    template = uow.repo(TemplateRepo).get(merchant_id, listing.template_id)
    if template is None or not template.active:
        raise DomainError(ErrorCode.NOT_FOUND, what="listing")
    issued = issue_codes(
        uow,
        merchant_id=merchant_id,
        listing=listing,
        platform_order_id=platform_order_id,
        quantity=quantity,
        buyer_openid=buyer_openid,
        now=now,
        actor=f"platform:{platform}",
        template=template,
    )
    if issued.created:
        uow.repo(AuditRepo).add(
            merchant_id,
            actor_type="platform",
            actor_id=platform,
            action="codes.issue",
            subject=f"{platform}:{platform_order_id}",
            before=None,
            after={"listing": listing_public_id, "quantity": quantity},
            now=now,
        )
        # the buyer hears of the purchase (the mall's official account), sent by the worker
        notify_codes_issued(
            uow,
            merchant_id=merchant_id,
            platform=platform,
            buyer_openid=buyer_openid,
            issued=issued,
            template=template.template,
            now=now,
        )
    log.info(
        "platform.purchase.issued" if issued.created else "platform.purchase.replayed",
        platform=platform,
        platform_order_id=platform_order_id,
        quantity=len(issued.codes),
    )
    return Purchased(issued.codes, issued.created)


def refund_in(
    uow: UnitOfWork,
    *,
    platform: str,
    merchant_id: int,
    platform_order_id: str,
    codes: list[str] | None,
    now: datetime,
) -> Refunded:
    """Void the unused codes of the order (`codes` None: all of them), in the caller's
    transaction. Idempotent."""
    result = Refunded()
    order_ref = uow.repo(CodeRepo).find_order(merchant_id, platform, platform_order_id)
    if order_ref is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="order")
    of_order = {c.code: c for c in uow.repo(CodeRepo).of_order(order_ref)}
    wanted = list(of_order) if codes is None else codes
    for value in wanted:
        code = of_order.get(value)
        if code is None:
            result.refused.append(RefusedCode(code=value, reason="not_found"))
        elif code.status is CodeStatus.VOIDED:
            result.voided.append(value)
        elif code.status is CodeStatus.ISSUED and uow.repo(CodeRepo).compare_and_set(
            code.id, CodeStatus.ISSUED, CodeStatus.VOIDED, now
        ):
            uow.repo(CodeRepo).add_event(
                merchant_id,
                code.id,
                CodeEvent(
                    "voided", now, None, None, None, f"platform:{platform}", {"refund": True}
                ),
            )
            result.voided.append(value)
        else:
            result.refused.append(RefusedCode(code=value, reason="already_redeemed"))
    uow.repo(AuditRepo).add(
        merchant_id,
        actor_type="platform",
        actor_id=platform,
        action="codes.refund",
        subject=f"{platform}:{platform_order_id}",
        before=None,
        after={"voided": result.voided, "refused": [asdict(r) for r in result.refused]},
        now=now,
    )
    return result
