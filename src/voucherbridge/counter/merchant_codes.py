"""Prepare (验券准备) and redeem (核销) a scanned code against an order.

Redeem is one transaction: lock the order row, compare-and-set the code, insert the
redemption, its history event, the outbox rows and the idempotency row, commit. The loser of a
race sees 0 rows from the compare-and-set and answers `voucher_already_redeemed`, unless the
winner was the same order at the same store (a double Enter), which replays the first result.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.repository import CodeRepo, ListingRepo, TemplateRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.formatting import iso
from voucherbridge.counter.repository import IdempotencyRepo, OrderRepo, RedemptionRepo
from voucherbridge.counter.views import redemption_view
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import (
    CodeType,
    Platform,
    ScannedCode,
    classify_code,
    mask_code,
    normalize_code,
)
from voucherbridge.domain.discounts import AppliedVoucher, Discount, compute_discount
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import (
    Code,
    CodeEvent,
    IdempotencyRecord,
    Listing,
    Order,
    OutboxMessage,
    Redemption,
    TemplateRow,
    Terminal,
)
from voucherbridge.domain.vouchers import CodeStatus, check_usable_at
from voucherbridge.outbox.repository import OutboxRepo
from voucherbridge.platforms.repository import BindingRepo

log = structlog.get_logger("voucherbridge.redemption")
# A check run first inside the scan's transaction; it raises to refuse the scan.
Guard = Callable[[UnitOfWork], None]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything prepare found out; redeem writes it down."""

    code: Code
    template: TemplateRow
    listing: Listing
    discount: Discount


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    body: dict[str, Any]
    replayed: bool


def prepare_code(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    raw_code: str,
    order_id: int,
    now: datetime,
    guard: Guard | None = None,
) -> dict[str, Any]:
    """What the code is worth on this order. Reads only; nothing changes."""
    scanned = classify_code(raw_code)
    with uow:
        if guard is not None:
            guard(uow)
        order = open_order(uow, terminal, order_id)
        zone = ZoneInfo(terminal.timezone)
        code = _find_code(uow, terminal, scanned)
        evaluation = evaluate(uow, terminal, code, order, now, zone)
        template = evaluation.template.template
        return {
            "code": evaluation.code.code,
            "platform": evaluation.code.platform.value,
            "kind": template.kind.value,
            "name": template.name,
            "face_value_fen": template.face_value_fen,
            "discount_fen": evaluation.discount.discount_fen,
            "valid_until": iso(evaluation.code.valid_until, zone),
            "redeemable": True,
        }


def redeem_code(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    raw_code: str,
    order_id: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guard: Guard | None = None,
) -> RedeemOutcome:
    """Mark the code used for the order, once, and return the redemption."""
    try:
        outcome = _redeem(
            uow, terminal, raw_code, order_id, idempotency_key, now, reversal_windows, guard
        )
    except DomainError as exc:
        log.info(
            "voucher.redeem.rejected",
            reason=exc.code.value,
            terminal_id=terminal.id,
            order_id=order_id,
            code=mask_code(normalize_code(raw_code)),
        )
        raise
    log.info(
        "voucher.redeem.replayed" if outcome.replayed else "voucher.redeem.succeeded",
        terminal_id=terminal.id,
        order_id=order_id,
        redemption_id=outcome.body["id"],
        discount_fen=outcome.body["discount_fen"],
        code=mask_code(outcome.body["code"]),
    )
    return outcome


def _redeem(
    uow: UnitOfWork,
    terminal: Terminal,
    raw_code: str,
    order_id: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guard: Guard | None,
) -> RedeemOutcome:
    scanned = classify_code(raw_code)
    request_hash = request_hash_of(scanned.value, order_id)
    with uow:
        if guard is not None:
            guard(uow)  # the code-guessing throttle, in this transaction (services/throttle)
        # The order row lock comes first: it serialises every voucher on one order, so
        # per-order limits and stacking rules see each other, and double Enters queue.
        if not uow.repo(OrderRepo).lock_open(terminal.merchant_id, order_id):
            open_order(uow, terminal, order_id)  # raises the precise reason
        order = open_order(uow, terminal, order_id)
        if idempotency_key:
            stored = uow.repo(IdempotencyRepo).get(terminal.id, idempotency_key)
            if stored is not None:
                if stored.request_hash != request_hash:
                    raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
                return RedeemOutcome(stored.response, replayed=True)
        zone = ZoneInfo(terminal.timezone)
        code = _find_code(uow, terminal, scanned)
        replay = double_enter(uow, terminal, code, order)
        if replay is not None:
            body = redemption_view(replay, zone)
            remember(uow, terminal, idempotency_key, request_hash, replay.id, body, now)
            uow.commit()
            return RedeemOutcome(body, replayed=True)
        evaluation = evaluate(uow, terminal, code, order, now, zone)
        if not uow.repo(CodeRepo).compare_and_set(
            code.id, CodeStatus.ISSUED, CodeStatus.REDEEMED, now
        ):
            uow.rollback()
            return _lost_race(uow, terminal, scanned, order, zone)
        redemption = record_redemption(uow, terminal, order, evaluation, now, reversal_windows)
        body = redemption_view(redemption, zone)
        remember(uow, terminal, idempotency_key, request_hash, redemption.id, body, now)
        uow.commit()
        return RedeemOutcome(body, replayed=False)


def request_hash_of(code: str, order_id: int, count: int = 1) -> str:
    body: dict[str, Any] = {"code": code, "order_id": order_id}
    if count != 1:
        body["count"] = count
    canonical = json.dumps(body, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def open_order(uow: UnitOfWork, terminal: Terminal, order_id: int) -> Order:
    order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
    if order is None or order.store_id != terminal.store_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
    if order.status != "open":
        raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)
    return order


def _find_code(uow: UnitOfWork, terminal: Terminal, scanned: ScannedCode) -> Code:
    if scanned.code_type is CodeType.PLATFORM:
        # Platform codes are verified through the platform's API, which needs a binding.
        if not uow.repo(BindingRepo).is_bound(terminal.store_id, scanned.platform.value):
            raise DomainError(ErrorCode.BINDING_MISSING, platform=scanned.platform.value)
        raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=scanned.platform.value)
    code = uow.repo(CodeRepo).find(terminal.merchant_id, scanned.value)
    if code is None:
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=scanned.value)
    if code.platform is not Platform.DIRECT and not uow.repo(BindingRepo).is_bound(
        terminal.store_id, code.platform.value
    ):
        # The platform must hear of this use, and only a bound store can tell it.
        raise DomainError(ErrorCode.BINDING_MISSING, platform=code.platform.value)
    return code


def evaluate(
    uow: UnitOfWork,
    terminal: Terminal,
    code: Code,
    order: Order,
    now: datetime,
    zone: ZoneInfo,
    pending: Sequence[AppliedVoucher] = (),
) -> Evaluation:
    """Every rule of the code's template against the order; `pending` are vouchers about to be
    applied in the same scan (several codes of one platform order)."""
    if code.status is CodeStatus.REDEEMED:
        raise already_redeemed(uow, terminal, code, zone)
    if code.status is CodeStatus.VOIDED:
        raise DomainError(ErrorCode.VOUCHER_VOIDED, code=code.code)
    if code.status is CodeStatus.EXPIRED:
        raise DomainError(ErrorCode.VOUCHER_EXPIRED, code=code.code)
    template_row = uow.repo(TemplateRepo).get(terminal.merchant_id, code.template_id)
    listing = uow.repo(ListingRepo).get(terminal.merchant_id, code.listing_id)
    if template_row is None or listing is None:  # pragma: no cover - foreign keys forbid it
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code.code)
    template = template_row.template
    if not template.applies_to_store(terminal.store_id):
        store = uow.repo(StoreRepo).get(terminal.merchant_id, terminal.store_id)
        raise DomainError(
            ErrorCode.VOUCHER_STORE_NOT_APPLICABLE,
            store=store.name if store else "",
            code=code.code,
        )
    check_usable_at(
        now=now,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        usage=template.usage,
        zone=zone,
    )
    applied = [
        AppliedVoucher(r.template_id, r.stackable, r.discount_fen, r.allocations)
        for r in uow.repo(RedemptionRepo).active_for_order(order.id)
    ]
    applied.extend(pending)
    discount = compute_discount(
        template,
        order.lines,
        order.service_fee_fen,
        applied,
        package_price_fen=template_row.package_price_fen,
    )
    return Evaluation(code, template_row, listing, discount)


def already_redeemed(
    uow: UnitOfWork, terminal: Terminal, code: Code, zone: ZoneInfo
) -> DomainError:
    previous = uow.repo(RedemptionRepo).latest_for_code(code.id)
    store = uow.repo(StoreRepo).get(terminal.merchant_id, previous.store_id) if previous else None
    when = previous.redeemed_at if previous else code.redeemed_at
    return DomainError(
        ErrorCode.VOUCHER_ALREADY_REDEEMED,
        code=code.code,
        time=when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else "",
        store=store.name if store else "",
    )


def double_enter(
    uow: UnitOfWork, terminal: Terminal, code: Code, order: Order
) -> Redemption | None:
    """The active redemption of this code on this order at this store, if there is one."""
    if code.status is not CodeStatus.REDEEMED:
        return None
    previous = uow.repo(RedemptionRepo).latest_for_code(code.id)
    if (
        previous is not None
        and previous.status == "active"
        and previous.order_id == order.id
        and previous.store_id == terminal.store_id
    ):
        return previous
    return None


def _lost_race(
    uow: UnitOfWork, terminal: Terminal, scanned: ScannedCode, order: Order, zone: ZoneInfo
) -> RedeemOutcome:
    """Another request moved the code between our read and our write: say who won.

    The caller rolled back; these reads run in a fresh transaction and see the winner.
    """
    code = _find_code(uow, terminal, scanned)
    replay = double_enter(uow, terminal, code, order)
    if replay is not None:
        return RedeemOutcome(redemption_view(replay, zone), replayed=True)
    if code.status is CodeStatus.VOIDED:
        raise DomainError(ErrorCode.VOUCHER_VOIDED, code=code.code)
    raise already_redeemed(uow, terminal, code, zone)


def record_redemption(
    uow: UnitOfWork,
    terminal: Terminal,
    order: Order,
    evaluation: Evaluation,
    now: datetime,
    reversal_windows: Mapping[str, int],
    *,
    public_id: str | None = None,
    platform_ref: dict[str, str] | None = None,
) -> Redemption:
    """The redemption row, its history event and its outbox rows, in the caller's transaction."""
    code, template = evaluation.code, evaluation.template.template
    window = evaluation.listing.reversal_window_minutes
    if window is None:
        window = reversal_windows.get(code.platform.value, 60)
    values: dict[str, Any] = {
        "merchant_id": terminal.merchant_id,
        "public_id": public_id or new_redemption_id(),
        "store_id": terminal.store_id,
        "terminal_id": terminal.id,
        "order_id": order.id,
        "code_id": code.id,
        "code": code.code,
        "platform": code.platform.value,
        "template_id": template.id,
        "kind": template.kind.value,
        "name": template.name,
        "stackable": template.stackable,
        "discount_fen": evaluation.discount.discount_fen,
        "allocations": {str(k): v for k, v in evaluation.discount.allocations.items()},
        "status": "active",
        "redeemed_at": now,
        "reversible_until": now + timedelta(minutes=window),
        "platform_ref": platform_ref,
    }
    redemption_id = uow.repo(RedemptionRepo).add(values)
    redemption = uow.repo(RedemptionRepo).by_id(redemption_id)
    assert redemption is not None
    uow.repo(CodeRepo).add_event(
        terminal.merchant_id,
        code.id,
        CodeEvent(
            "redeemed",
            now,
            terminal.store_id,
            order.id,
            redemption_id,
            f"terminal:{terminal.id}",
            {"discount_fen": redemption.discount_fen},
        ),
    )
    enqueue_side_effects(uow, redemption, "redeemed", now)
    uow.repo(AuditRepo).add(
        terminal.merchant_id,
        actor_type="terminal",
        actor_id=str(terminal.id),
        action="redemption.redeem",
        subject=redemption.public_id,
        before={"status": "issued"},
        after={
            "status": "redeemed",
            "code_id": code.id,
            "code": mask_code(code.code),
            "order_id": order.id,
            "discount_fen": redemption.discount_fen,
        },
        now=now,
        store_id=terminal.store_id,
    )
    return redemption


def new_redemption_id() -> str:
    return f"rdm_{uuid.uuid4().hex}"


def enqueue_side_effects(
    uow: UnitOfWork, redemption: Redemption, event: str, now: datetime
) -> None:
    """Outbox rows in the business transaction: the platform hears of every use once."""
    if redemption.platform.value == "direct" or redemption.platform_ref is not None:
        return  # our own codes tell nobody; a platform code's platform made the change itself
    uow.repo(OutboxRepo).add(
        OutboxMessage(
            merchant_id=redemption.merchant_id,
            topic=f"code.{event}",
            destination=f"platform:{redemption.platform.value}",
            dedupe_key=f"{redemption.public_id}:{event}",
            payload={
                "redemption_id": redemption.public_id,
                "code": redemption.code,
                "store_id": redemption.store_id,
                "order_id": redemption.order_id,
                "discount_fen": redemption.discount_fen,
                "at": now.isoformat(),
            },
        ),
        now,
    )


def remember(
    uow: UnitOfWork,
    terminal: Terminal,
    key: str | None,
    request_hash: str,
    redemption_id: int,
    body: dict[str, Any],
    now: datetime,
) -> None:
    if key:
        uow.repo(IdempotencyRepo).add(
            IdempotencyRecord(terminal.id, key, request_hash, redemption_id, body), now
        )
