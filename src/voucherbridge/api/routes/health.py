"""Liveness and readiness for load balancers and the demo banner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from voucherbridge import __version__
from voucherbridge.api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(c: ContainerDep) -> dict[str, Any]:
    """200 when the process is up and the database answers."""
    with c.engine.connect() as conn:
        conn.execute(text("select 1"))
    return {"status": "ok", "version": __version__}
