"""At the counter: one scan box for every kind of code, and the reversals that follow.

Our own merchant codes are settled locally (and told to their platform via the outbox);
platform codes go through their platform first (`platform_redemption`). Routes call these
and nothing else, so the cashier never has to say which platform a code is from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import structlog

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.counter import checkout, recording, reversal, throttle
from voucherbridge.counter import merchant_codes as local
from voucherbridge.counter.platform_answers import credentials_for
from voucherbridge.counter.platform_codes import (
    prepare_platform_code,
    redeem_platform_code,
)
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.throttle import GuessLimits
from voucherbridge.counter.views import OrderView, PrepareView, RedemptionView
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.alerts import REOPEN_PARTIAL
from voucherbridge.domain.codes import CodeType, ScannedCode, mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Redemption, Terminal
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCodeClient,
    PlatformGateway,
    VerifiedCode,
)

log = structlog.get_logger("voucherbridge.counter")
GUESS_LIMITS = GuessLimits()


# ---- the scan box: one entry for every kind of code -------------------------------------------
def prepare_scanned(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    raw_code: str,
    order_id: int,
    now: datetime,
    guess_limits: GuessLimits = GUESS_LIMITS,
) -> PrepareView:
    """验券准备 for whatever was scanned: our codes locally, platform codes with the platform."""
    with throttle.guarded(make_uow, terminal, raw_code, now, guess_limits) as gate:
        scanned = gate.classify(raw_code)
        if scanned.code_type is not CodeType.PLATFORM:
            return local.prepare_code(
                make_uow(),
                terminal=terminal,
                scanned=scanned,
                order_id=order_id,
                now=now,
                guard=gate,
            )
        gate.check_alone(make_uow)
        return prepare_platform_code(
            make_uow, gateway, terminal=terminal, scanned=scanned, order_id=order_id, now=now
        )


def redeem_scanned(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    raw_code: str,
    order_id: int,
    count: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guess_limits: GuessLimits = GUESS_LIMITS,
) -> recording.RedeemOutcome:
    """核销 whatever was scanned; `count` > 1 only for platform orders of several vouchers."""
    with throttle.guarded(make_uow, terminal, raw_code, now, guess_limits) as gate:
        return _redeem_scanned(
            make_uow,
            gateway,
            gate,
            terminal=terminal,
            scanned=gate.classify(raw_code),
            order_id=order_id,
            count=count,
            idempotency_key=idempotency_key,
            now=now,
            reversal_windows=reversal_windows,
        )


def _redeem_scanned(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    gate: throttle.Gate,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    count: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
) -> recording.RedeemOutcome:
    if scanned.code_type is not CodeType.PLATFORM:
        if count != 1:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        return local.redeem_code(
            make_uow(write=True),
            terminal=terminal,
            scanned=scanned,
            order_id=order_id,
            idempotency_key=idempotency_key,
            now=now,
            reversal_windows=reversal_windows,
            guard=gate,
        )
    gate.check_alone(make_uow)
    return redeem_platform_code(
        make_uow,
        gateway,
        terminal=terminal,
        scanned=scanned,
        order_id=order_id,
        count=count,
        idempotency_key=idempotency_key,
        now=now,
        reversal_windows=reversal_windows,
    )


def reverse_any(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    redemption_id: str,
    reason: str | None,
    now: datetime,
) -> RedemptionView:
    """反结账退券. A platform code is cancelled on its platform first, so that it is usable
    there again before we say so; our merchant codes tell their platform via the outbox."""
    with make_uow() as uow:
        found = uow.repo(RedemptionRepo).get(terminal.merchant_id, redemption_id)
        cancel: _Cancel | None = None
        if (
            found is not None
            and found.store_id == terminal.store_id
            and found.status == "active"
            and found.platform_ref is not None
        ):
            order = uow.repo(OrderRepo).get(terminal.merchant_id, found.order_id)
            if order is None or order.status != "open":
                raise DomainError(ErrorCode.ORDER_CLOSED, order_id=found.order_id)
            if now > found.reversible_until:
                raise DomainError(
                    ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=reversal.window_minutes(found)
                )
            cancel = _platform_cancel(uow, gateway, terminal, found)
    if cancel is not None:
        credentials, verified, client = cancel
        client.cancel(credentials, verified)
    return reversal.reverse_redemption(
        make_uow(write=True),
        terminal=terminal,
        redemption_id=redemption_id,
        reason=reason,
        now=now,
    )


_Cancel = tuple[Credentials, VerifiedCode, PlatformCodeClient]


def _platform_cancel(
    uow: UnitOfWork, gateway: PlatformGateway, terminal: Terminal, found: Redemption
) -> _Cancel:
    """What cancelling a platform-code redemption on its platform takes."""
    platform = found.platform.value
    ref = dict(found.platform_ref or {})
    ref.pop("scan", None)
    verified = VerifiedCode(
        code=found.code,
        certificate_id=ref.pop("certificate_id", ""),
        verify_id=ref.pop("verify_id", ""),
        extra=ref,
    )
    return credentials_for(uow, gateway, terminal, platform), verified, gateway.clients[platform]


def reopen_any(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    order_id: int,
    reason: str | None,
    now: datetime,
) -> OrderView:
    """反结账 of a closed order: its platform codes are cancelled on their platforms first."""
    cancels: list[_Cancel] = []
    with make_uow() as uow:
        order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
        if order is not None and order.store_id == terminal.store_id and order.status == "closed":
            vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
            late = [r for r in vouchers if now > r.reversible_until]
            if late:
                raise DomainError(
                    ErrorCode.REVERSAL_WINDOW_CLOSED,
                    minutes=reversal.window_minutes(late[0]),
                    code=late[0].code,
                )
            cancels = [
                _platform_cancel(uow, gateway, terminal, r)
                for r in vouchers
                if r.platform_ref is not None
            ]
    for index, (credentials, verified, client) in enumerate(cancels):
        try:
            client.cancel(credentials, verified)
        except DomainError as exc:
            if index:
                done = [mask_code(c[1].code) for c in cancels[:index]]
                _record_partial_reopen(make_uow, terminal, order_id, done, exc, now)
            raise
    return checkout.reopen_order(
        make_uow(write=True), terminal=terminal, order_id=order_id, reason=reason, now=now
    )


def _record_partial_reopen(
    make_uow: UnitOfWorkFactory,
    terminal: Terminal,
    order_id: int,
    cancelled: list[str],
    error: DomainError,
    now: datetime,
) -> None:
    """Some of the order's platform codes were cancelled before one failed: the platform has
    them back while the closed order here still counts them. Cancels are idempotent, so the
    next 反结账 finishes the job; until then the merchant sees an alert."""
    log.error(
        "order.reopen.partly_cancelled_on_platform",
        order_id=order_id,
        cancelled=cancelled,
        reason=error.code.value,
    )
    with make_uow(write=True) as uow:
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action=REOPEN_PARTIAL,
            subject=f"order:{order_id}",
            before=None,
            after={"order_id": order_id, "cancelled": cancelled, "reason": error.code.value},
            now=now,
            store_id=terminal.store_id,
        )
        uow.commit()
