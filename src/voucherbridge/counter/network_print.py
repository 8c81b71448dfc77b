"""Send a closed order's receipt (结账单) straight to the till's network printer (小票机).

The steps are ordered so that a printer that is off changes nothing: the order is checked (this
store's, closed) and the till's printer looked up without counting; then the printer is
connected (with a deadline); only then is the print counted (第N次打印, in a short transaction
of its own, never held open over the network) and the ESC/POS bytes written. A write that fails
after the connection was made is reported too: the paper may hold part of the receipt, and the
next print says 第N+1次.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from voucherbridge.chain.terminal_printers import printer_of_terminal
from voucherbridge.counter import checkout
from voucherbridge.counter.printing import render_escpos
from voucherbridge.counter.printing.network import PrinterUnreachable
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal

log = logging.getLogger(__name__)


class PrinterConnection(Protocol):
    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class PrinterPort(Protocol):
    """Opens a connection to a printer, or raises PrinterUnreachable (within its deadline)."""

    def connect(self, host: str, port: int) -> PrinterConnection: ...


@dataclass(frozen=True, kw_only=True)
class NetworkPrintResult:
    """What the till is told: which printer took the receipt, and which print it was."""

    order_id: int
    order_no: str
    printer: str  # "192.168.1.50" (or "host:port" off port 9100)
    width_mm: int
    print_count: int
    bytes_sent: int


def print_to_network(
    uow: UnitOfWorkFactory, printers: PrinterPort, *, terminal: Terminal, order_id: int
) -> NetworkPrintResult:
    """Print the order's receipt on the till's printer; each print counts (第N次打印)."""
    # 404 for another store's order, 409 for an open one: before anything else is said.
    checkout.print_receipt(uow(), terminal=terminal, order_id=order_id, count=False)
    address = printer_of_terminal(uow(), terminal)
    if address is None:
        raise DomainError(ErrorCode.PRINTER_NOT_CONFIGURED)
    try:
        connection = printers.connect(address.host, address.port)
    except PrinterUnreachable as exc:
        log.warning("printer %s unreachable: %s", address.label, exc)
        raise DomainError(ErrorCode.PRINTER_UNREACHABLE, printer=address.label) from exc
    try:
        receipt = checkout.print_receipt(
            uow(write=True), terminal=terminal, order_id=order_id, count=True
        )
        data = render_escpos(receipt, address.width_mm)
        connection.send(data)
    except PrinterUnreachable as exc:
        log.warning("printer %s stopped taking the receipt: %s", address.label, exc)
        raise DomainError(ErrorCode.PRINTER_UNREACHABLE, printer=address.label) from exc
    finally:
        connection.close()
    return NetworkPrintResult(
        order_id=order_id,
        order_no=receipt.order_no,
        printer=address.label,
        width_mm=address.width_mm,
        print_count=receipt.print_count,
        bytes_sent=len(data),
    )
