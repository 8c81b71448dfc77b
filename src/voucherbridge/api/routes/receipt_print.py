"""Terminal API v1: send the receipt straight to the till's network printer (小票机)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from voucherbridge.api.deps import ContainerDep, TerminalDep
from voucherbridge.api.routes.terminal import ERRORS, OrderIdPath
from voucherbridge.api.schemas.printers import NetworkPrintRead
from voucherbridge.counter.network_print import print_to_network
from voucherbridge.counter.printing.network import NetworkPrinters

router = APIRouter(prefix="/api/v1", tags=["terminal"], responses=ERRORS)


@router.post("/orders/{order_id}/receipt/print", response_model=NetworkPrintRead)
def print_receipt_on_network_printer(
    order_id: OrderIdPath, terminal: TerminalDep, c: ContainerDep
) -> Any:
    """打印小票: send the 结账单 as ESC/POS over raw TCP (port 9100) to the printer set for this
    till in the console; each print counts (第N次打印). A printer that is off or unplugged
    answers 503 printer_unreachable in under 3 s (the print is then not counted); a till
    without a printer gets 409 printer_not_configured."""
    # Loopback printers only where nobody else's host can be reached through them.
    printers = NetworkPrinters(allow_loopback=c.settings.environment != "production")
    return print_to_network(c.uow, printers, terminal=terminal, order_id=order_id)
