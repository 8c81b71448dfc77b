"""Terminal API v1: orders, prepare, redeem, reverse. Routes only translate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from voucherbridge.api.database_work import run_scan
from voucherbridge.api.deps import (
    ContainerDep,
    TerminalDep,
    TerminalKeyDep,
    is_platform_code,
    scan_session,
)
from voucherbridge.api.schemas.common import NO_NUL, ErrorEnvelope
from voucherbridge.api.schemas.terminal import (
    CodeOnOrder,
    OpenBillRead,
    OrderCreate,
    OrderLineIn,
    OrderLinesReplace,
    OrderRead,
    PrepareRead,
    RedeemRequest,
    RedemptionRead,
    ReverseRequest,
)
from voucherbridge.bootstrap import Container
from voucherbridge.catalogue.units import catalogue_units, unit_of
from voucherbridge.core import metrics
from voucherbridge.counter import orders
from voucherbridge.counter import scan as counter
from voucherbridge.counter.recording import RedeemOutcome
from voucherbridge.counter.throttle import GuessLimits
from voucherbridge.counter.views import OpenBillView, OrderView, PrepareView, RedemptionView
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import Terminal

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


def _numbered_lines(
    given: Sequence[OrderLineIn], terminal: Terminal, c: Container
) -> list[OrderLine]:
    """The POS's lines numbered from 1; a line without a unit takes its catalogue item's."""
    units = catalogue_units(
        c.uow(),
        merchant_id=terminal.merchant_id,
        item_codes=[ln.item_code for ln in given if ln.unit is None],
    )
    return [
        OrderLine(
            i + 1,
            ln.item_code,
            ln.name,
            ln.quantity,
            ln.unit_price_fen,
            unit_of(ln.unit, ln.item_code, units),
        )
        for i, ln in enumerate(given)
    ]


@router.post("/orders", status_code=201, response_model=OrderRead)
def create_order(body: OrderCreate, terminal: TerminalDep, c: ContainerDep) -> OrderView:
    """Open an order (消费单) at the terminal's store; a line without a unit takes its
    catalogue item's (份 for an item the catalogue does not have)."""
    lines = _numbered_lines(body.lines, terminal, c)
    return orders.create_order(
        c.uow(write=True),
        terminal=terminal,
        table=body.table,
        guests=body.guests,
        lines=lines,
        service_fee_fen=body.service_fee_fen,
        now=c.clock(),
    )


@router.get("/orders", response_model=list[OpenBillRead])
def list_orders(
    terminal: TerminalDep,
    c: ContainerDep,
    status: Annotated[Literal["open"], Query(description="Only open bills (挂单) are listed")],
) -> list[OpenBillView]:
    """The store's open bills (挂单), oldest first: table, guests, opened, due, vouchers."""
    return orders.list_open_orders(c.uow(), terminal=terminal)


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: OrderIdPath, terminal: TerminalDep, c: ContainerDep) -> OrderView:
    """The order with lines, applied vouchers, tenders and what is still due."""
    return orders.get_order(c.uow(), terminal=terminal, order_id=order_id)


@router.put("/orders/{order_id}/lines", response_model=OrderRead)
def replace_lines(
    order_id: OrderIdPath, body: OrderLinesReplace, terminal: TerminalDep, c: ContainerDep
) -> OrderView:
    """Replace an open order's lines; the total may not fall below its vouchers."""
    lines = _numbered_lines(body.lines, terminal, c)
    return orders.replace_lines(
        c.uow(write=True), terminal=terminal, order_id=order_id, lines=lines, now=c.clock()
    )


@router.post("/vouchers/prepare", response_model=PrepareRead)
async def prepare(body: CodeOnOrder, key: TerminalKeyDep, c: ContainerDep) -> PrepareView:
    """验券准备: what the code is worth on this order. Changes nothing."""

    def work(factory: UnitOfWorkFactory) -> PrepareView:  # the key check, then the scan
        with scan_session(c, factory, key, body.code, write=False) as (make_uow, terminal):
            return counter.prepare_scanned(
                make_uow,
                c.platforms,
                terminal=terminal,
                raw_code=body.code,
                order_id=body.order_id,
                now=c.clock(),
                guess_limits=_guess_limits(c),
            )

    return await run_scan(work, c.uow, local=not is_platform_code(body.code))


@router.post(
    "/redemptions",
    status_code=201,
    response_model=RedemptionRead,
    responses={200: {"model": RedemptionRead, "description": "Replay of an earlier request"}},
)
async def redeem(
    body: RedeemRequest,
    key: TerminalKeyDep,
    c: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """核销: mark the code used for the order, once. Replays return the first result (200)."""

    def work(factory: UnitOfWorkFactory) -> RedeemOutcome:  # the key check, then the redemption
        with scan_session(c, factory, key, body.code, write=True) as (make_uow, terminal):
            return _redeem(make_uow, terminal)

    def _redeem(make_uow: UnitOfWorkFactory, terminal: Terminal) -> RedeemOutcome:
        if idempotency_key is not None and not idempotency_key.strip():
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="Idempotency-Key")
        try:
            return counter.redeem_scanned(
                make_uow,
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
        except DomainError as exc:
            metrics.count_redemption(metrics.platform_of(body.code), exc.code.value)
            raise

    local = not is_platform_code(body.code)
    outcome = await run_scan(work, c.uow, local=local)
    metrics.count_redemption(outcome.body.platform, "replayed" if outcome.replayed else "redeemed")
    # The answer is what the idempotency row keeps (`redemptions` only when one scan used
    # several vouchers), so the first answer and its replays are the same bytes. orjson writes
    # the view's fields in order, as JSONResponse wrote `asdict` of it, without the copy.
    return Response(
        orjson.dumps(outcome.body),
        status_code=200 if outcome.replayed else 201,
        media_type="application/json",
    )


@router.post("/redemptions/{redemption_id}/reverse", response_model=RedemptionRead)
def reverse(
    redemption_id: RedemptionIdPath,
    terminal: TerminalDep,
    c: ContainerDep,
    body: ReverseRequest | None = None,
) -> RedemptionView:
    """反结账退券: reverse inside the window; the code becomes usable again."""
    try:
        reversed_ = counter.reverse_any(
            c.uow,
            c.platforms,
            terminal=terminal,
            redemption_id=redemption_id,
            reason=body.reason if body else None,
            now=c.clock(),
        )
    except DomainError as exc:
        metrics.count_reversal("unknown", exc.code.value)
        raise
    metrics.count_reversal(reversed_.platform, "reversed")
    return reversed_
