"""A till's network receipt printer (小票机), set by HQ or the store's manager.

The address lives on the terminal (migration 0014); setting or clearing it is audited as
`terminal.printer` with the address before and after. The counter reads it with
`printer_of_terminal` when the cashier sends a receipt to the printer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.printer_repository import TerminalPrinterRepo
from voucherbridge.chain.repository import TerminalRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.printers import PrinterAddress, printer_address
from voucherbridge.domain.records import Terminal


@dataclass(frozen=True, kw_only=True)
class TerminalPrinterView:
    """What the console and the admin API show of a till's printer (host None: none set)."""

    terminal_id: int
    store_id: int
    terminal_name: str
    host: str | None
    port: int | None
    width_mm: int | None
    label: str | None  # "192.168.1.50", or "host:port" off port 9100

    @classmethod
    def of(cls, terminal: Terminal, address: PrinterAddress | None) -> TerminalPrinterView:
        return cls(
            terminal_id=terminal.id,
            store_id=terminal.store_id,
            terminal_name=terminal.name,
            host=address.host if address else None,
            port=address.port if address else None,
            width_mm=address.width_mm if address else None,
            label=address.label if address else None,
        )


def _terminal(uow: UnitOfWork, actor: Actor, terminal_id: int) -> Terminal:
    terminal = uow.repo(TerminalRepo).get(actor.merchant_id, terminal_id)
    if terminal is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="terminal")
    actor.require_store(terminal.store_id)
    return terminal


def get_terminal_printer(uow: UnitOfWork, *, actor: Actor, terminal_id: int) -> TerminalPrinterView:
    """The till's printer, for a user who may see the till's store."""
    with uow:
        terminal = _terminal(uow, actor, terminal_id)
        address = uow.repo(TerminalPrinterRepo).get(actor.merchant_id, terminal.id)
        return TerminalPrinterView.of(terminal, address)


def printers_by_terminal(uow: UnitOfWork, *, actor: Actor) -> dict[int, PrinterAddress]:
    """The printers of the terminals the user may see (the console's terminal list)."""
    with uow:
        return uow.repo(TerminalPrinterRepo).of_merchant(actor.merchant_id, actor.store_ids)


def set_terminal_printer(
    uow: UnitOfWork,
    *,
    actor: Actor,
    terminal_id: int,
    host: object,
    port: object = None,
    width_mm: object = None,
    now: datetime,
) -> TerminalPrinterView:
    """Set the till's printer (an empty host clears it); refused values change nothing."""
    actor.require_manager()
    address = printer_address(host, port, width_mm)  # checked before anything is read
    with uow:
        terminal = _terminal(uow, actor, terminal_id)
        actor.require_change(frozenset({terminal.store_id}))
        repo = uow.repo(TerminalPrinterRepo)
        current = repo.get(actor.merchant_id, terminal.id)
        before = TerminalPrinterView.of(terminal, current)
        after = TerminalPrinterView.of(terminal, address)
        if address != current:  # saving the same address again writes no audit row
            repo.set(actor.merchant_id, terminal.id, address)
            record_admin_change(uow, actor, "terminal.printer", terminal.id, before, after, now)
        uow.commit()
        return after


def printer_of_terminal(uow: UnitOfWork, terminal: Terminal) -> PrinterAddress | None:
    """The printer a till prints to (the terminal resolved from its key), or None."""
    with uow:
        return uow.repo(TerminalPrinterRepo).get(terminal.merchant_id, terminal.id)
