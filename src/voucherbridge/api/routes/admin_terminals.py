"""Admin API: cashier terminals (tills) and their API keys."""

from __future__ import annotations

from typing import Any

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_terminals import TerminalCreate, TerminalIssued, TerminalRead
from voucherbridge.chain import terminals

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
