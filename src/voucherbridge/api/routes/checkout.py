"""Terminal API v1: checkout, reopen (反结账) and the printable receipt."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from voucherbridge.api.deps import ContainerDep, TerminalDep
from voucherbridge.api.routes.terminal import ERRORS, OrderIdPath
from voucherbridge.api.schemas.terminal import CheckoutRequest, OrderRead, ReopenRequest
from voucherbridge.counter import checkout, printing
from voucherbridge.counter import scan as counter
from voucherbridge.counter.checkout import MemberCard, TenderLine
from voucherbridge.counter.views import OrderView
from voucherbridge.domain.errors import DomainError, ErrorCode

router = APIRouter(prefix="/api/v1", tags=["terminal"], responses=ERRORS)


@router.post("/orders/{order_id}/checkout", response_model=OrderRead)
def checkout_order(
    order_id: OrderIdPath, body: CheckoutRequest, terminal: TerminalDep, c: ContainerDep
) -> OrderView:
    """结账: close the order once the tenders cover what is due; vouchers count by themselves."""
    tenders = [
        TenderLine(
            type=t.type,
            amount_fen=t.amount_fen,
            reference=t.reference,
            member=MemberCard(**t.member.model_dump()) if t.member else None,
        )
        for t in body.tenders
    ]
    return checkout.checkout_order(
        c.uow(write=True),
        terminal=terminal,
        order_id=order_id,
        tenders=tenders,
        cashier=body.cashier,
        now=c.clock(),
    )


@router.post("/orders/{order_id}/reopen", response_model=OrderRead)
def reopen_order(
    order_id: OrderIdPath,
    terminal: TerminalDep,
    c: ContainerDep,
    body: ReopenRequest | None = None,
) -> OrderView:
    """反结账: reopen a closed order; its vouchers are reversed (inside their windows)."""
    return counter.reopen_any(
        c.uow,
        c.platforms,
        terminal=terminal,
        order_id=order_id,
        reason=body.reason if body else None,
        now=c.clock(),
    )


@router.get(
    "/orders/{order_id}/receipt",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}, "application/octet-stream": {}, "application/pdf": {}}}
    },
)
def receipt(
    order_id: OrderIdPath,
    terminal: TerminalDep,
    c: ContainerDep,
    format: Annotated[Literal["text", "escpos", "pdf"], Query()] = "text",
    width: Annotated[int, Query(description="Paper width in mm: 58 or 80")] = 80,
    preview: Annotated[bool, Query(description="Do not count as a print")] = False,
) -> Response:
    """结账单 as text (58/80 mm), ESC/POS bytes or PDF; each print counts (第N次打印)."""
    if width not in printing.RECEIPT_WIDTHS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="width")
    model = checkout.print_receipt(
        c.uow(write=True), terminal=terminal, order_id=order_id, count=not preview
    )
    if format == "text":
        return PlainTextResponse(
            printing.render_text(model, width), media_type="text/plain; charset=utf-8"
        )
    if format == "escpos":
        return Response(printing.render_escpos(model, width), media_type="application/octet-stream")
    filename = f"receipt-{model.order_no}.pdf"
    return Response(
        printing.render_pdf(model, width),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
