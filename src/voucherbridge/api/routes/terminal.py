"""Terminal API v1: orders, prepare, redeem, reverse. Routes only translate."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse

from voucherbridge.api.deps import ContainerDep, TerminalDep
from voucherbridge.api.schemas.common import NO_NUL, ErrorEnvelope
from voucherbridge.api.schemas.terminal import (
    CodeOnOrder,
    OrderCreate,
    OrderRead,
    PrepareRead,
    RedeemRequest,
    RedemptionRead,
    ReverseRequest,
)
from voucherbridge.bootstrap import Container
from voucherbridge.counter import orders
from voucherbridge.counter import scan as counter
from voucherbridge.counter.throttle import GuessLimits
from voucherbridge.counter.views import OrderView, PrepareView, RedemptionView
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.orders import OrderLine

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope} for status in (401, 404, 409, 422, 429, 503)
}
router = APIRouter(prefix="/api/v1", tags=["terminal"], responses=ERRORS)

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
OrderIdPath = Annotated[int, Path(ge=1, le=2**62)]
RedemptionIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


def _guess_limits(c: Container) -> GuessLimits:
    return GuessLimits(
        c.settings.guess_limit_per_minute, c.settings.guess_limit_per_store_per_minute
    )


@router.post("/orders", status_code=201, response_model=OrderRead)
def create_order(body: OrderCreate, terminal: TerminalDep, c: ContainerDep) -> OrderView:
    """Open an order (消费单) at the terminal's store."""
    lines = [
        OrderLine(i + 1, ln.item_code, ln.name, ln.quantity, ln.unit_price_fen, ln.unit)
        for i, ln in enumerate(body.lines)
    ]
    return orders.create_order(
        c.uow(write=True),
        terminal=terminal,
        table=body.table,
        guests=body.guests,
        lines=lines,
        service_fee_fen=body.service_fee_fen,
        now=c.clock(),
    )


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: OrderIdPath, terminal: TerminalDep, c: ContainerDep) -> OrderView:
    """The order with lines, applied vouchers, tenders and what is still due."""
    return orders.get_order(c.uow(), terminal=terminal, order_id=order_id)


@router.post("/vouchers/prepare", response_model=PrepareRead)
def prepare(body: CodeOnOrder, terminal: TerminalDep, c: ContainerDep) -> PrepareView:
    """验券准备: what the code is worth on this order. Changes nothing."""
    return counter.prepare_scanned(
        c.uow,
        c.platforms,
        terminal=terminal,
        raw_code=body.code,
        order_id=body.order_id,
        now=c.clock(),
        guess_limits=_guess_limits(c),
    )


@router.post(
    "/redemptions",
    status_code=201,
    response_model=RedemptionRead,
    responses={200: {"model": RedemptionRead, "description": "Replay of an earlier request"}},
)
def redeem(
    body: RedeemRequest,
    terminal: TerminalDep,
    c: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """核销: mark the code used for the order, once. Replays return the first result (200)."""
    if idempotency_key is not None and not idempotency_key.strip():
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="Idempotency-Key")
    outcome = counter.redeem_scanned(
        c.uow,
        c.platforms,
        terminal=terminal,
        raw_code=body.code,
        order_id=body.order_id,
        count=body.count,
        idempotency_key=idempotency_key,
        now=c.clock(),
        reversal_windows=c.settings.reversal_windows(),
        guess_limits=_guess_limits(c),
    )
    # The answer is what the idempotency row keeps (`redemptions` only when one scan used
    # several vouchers), so the first answer and its replays are the same bytes.
    return JSONResponse(
        dataclasses.asdict(outcome.body), status_code=200 if outcome.replayed else 201
    )


@router.post("/redemptions/{redemption_id}/reverse", response_model=RedemptionRead)
def reverse(
    redemption_id: RedemptionIdPath,
    terminal: TerminalDep,
    c: ContainerDep,
    body: ReverseRequest | None = None,
) -> RedemptionView:
    """反结账退券: reverse inside the window; the code becomes usable again."""
    return counter.reverse_any(
        c.uow,
        c.platforms,
        terminal=terminal,
        redemption_id=redemption_id,
        reason=body.reason if body else None,
        now=c.clock(),
    )
