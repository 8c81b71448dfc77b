"""Admin API: the outbox (platform sync and notifications), failed rows and manual retry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import admin_router
from voucherbridge.outbox import service as outbox

# These operations do not list the error envelope in the OpenAPI document (yet).
OutboxStatus = Literal["pending", "inflight", "delivered", "dead", "skipped"]
router = admin_router(documented_errors=False)


@router.get("/outbox")
def list_outbox(
    actor: ActorDep,
    c: ContainerDep,
    status: Annotated[OutboxStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> outbox.OutboxListing:
    """Outbox rows, newest first, with counts per status (dead rows need a person)."""
    return outbox.list_outbox(c.uow, actor=actor, status=status, limit=limit)


@router.post("/outbox/{outbox_id}/retry")
def retry_outbox(
    outbox_id: Annotated[int, Path(ge=1, le=2**62)], actor: ActorDep, c: ContainerDep
) -> outbox.OutboxRowView:
    """Send a dead row again with a fresh retry budget."""
    return outbox.retry_dead(c.uow, actor=actor, outbox_id=outbox_id, now=c.clock())
