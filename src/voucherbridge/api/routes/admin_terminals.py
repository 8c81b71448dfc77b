"""Admin API: cashier terminals (tills) and their API keys."""

from __future__ import annotations

from typing import Any

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_terminals import (
    TerminalCreate,
    TerminalIssued,
    TerminalRead,
    TerminalUpdate,
)
from voucherbridge.api.schemas.printers import PrinterWrite, TerminalPrinterRead
from voucherbridge.chain import terminal_printers, terminals

router = admin_router()


@router.get("/terminals", response_model=list[TerminalRead])
def list_terminals(actor: ActorDep, c: ContainerDep) -> Any:
    """Cashier terminals the user may manage; keys are never shown here."""
    return terminals.list_terminals(c.uow(), actor=actor)


@router.post("/terminals", status_code=201, response_model=TerminalIssued)
def issue_terminal(body: TerminalCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Register a till for a store; the response holds its API key, shown this once only."""
    return terminals.issue_terminal(
        c.uow(write=True), actor=actor, store_id=body.store_id, name=body.name, now=c.clock()
    )


@router.post("/terminals/{terminal_id}/revoke", response_model=TerminalRead)
def revoke_terminal(terminal_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """Revoke a terminal's key; the Terminal API refuses it from the next request on."""
    return terminals.revoke_terminal(
        c.uow(write=True), actor=actor, terminal_id=terminal_id, now=c.clock()
    )


@router.patch("/terminals/{terminal_id}", response_model=TerminalRead)
def update_terminal(
    terminal_id: IdPath, body: TerminalUpdate, actor: ActorDep, c: ContainerDep
) -> Any:
    """Rename a till, disable it (`active` false: its key is refused at once) or enable it
    again (the same key works again); a cashier's page session is never re-enabled."""
    return terminals.update_terminal(
        c.uow(write=True),
        actor=actor,
        terminal_id=terminal_id,
        **body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


@router.get("/terminals/{terminal_id}/printer", response_model=TerminalPrinterRead)
def get_terminal_printer(terminal_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """The till's network receipt printer (小票机); host null when none is set."""
    return terminal_printers.get_terminal_printer(c.uow(), actor=actor, terminal_id=terminal_id)


@router.put("/terminals/{terminal_id}/printer", response_model=TerminalPrinterRead)
def set_terminal_printer(
    terminal_id: IdPath, body: PrinterWrite, actor: ActorDep, c: ContainerDep
) -> Any:
    """Set the till's printer (host name or IPv4, port 9100 by default, 58/80 mm paper);
    a null or empty host clears it. Audited as terminal.printer."""
    return terminal_printers.set_terminal_printer(
        c.uow(write=True),
        actor=actor,
        terminal_id=terminal_id,
        host=body.host,
        port=body.port,
        width_mm=body.width_mm,
        now=c.clock(),
    )
