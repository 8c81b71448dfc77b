"""Admin API: the audit log, its hash-chain check, and the alerts read from it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import admin_router
from voucherbridge.api.schemas.admin_audit import ChainCheckRead
from voucherbridge.audit import alerts
from voucherbridge.audit import verify as audit_verify
from voucherbridge.bootstrap import Container
from voucherbridge.domain.errors import DomainError, ErrorCode

# These operations do not list the error envelope in the OpenAPI document (yet).
router = admin_router(documented_errors=False)


def alert_settings(c: Container) -> alerts.AlertSettings:
    return alerts.AlertSettings(
        reversals_threshold=c.settings.alert_reversals_threshold,
        reversals_window=timedelta(hours=c.settings.alert_reversals_window_hours),
    )


@router.get("/audit")
def list_audit(
    actor: ActorDep,
    c: ContainerDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> alerts.AuditPage:
    """Audit rows newest first (who, which till or user, when, before/after); page with
    `before_id`; a store manager sees the rows of their stores."""
    return alerts.list_audit(c.uow(), actor=actor, action=action, before_id=before_id, limit=limit)


@router.get("/audit/verify", response_model=ChainCheckRead)
def verify_audit(actor: ActorDep, c: ContainerDep) -> audit_verify.ChainCheckView:
    """Check the merchant's audit hash chain (HQ only); names the first broken row."""
    return audit_verify.verify_for(c.uow(), actor=actor)


@router.get("/alerts")
def list_alerts(
    actor: ActorDep,
    c: ContainerDep,
    since: Annotated[datetime | None, Query()] = None,
) -> alerts.AlertsView:
    """Alerts since `since` (default: the last 7 days): a code tried at two stores, many
    reversals by one till, redemptions outside opening hours."""
    now = c.clock()
    if since is not None and since.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="since")
    return alerts.alerts_for(
        c.uow(), actor=actor, since=since or now - timedelta(days=7), settings=alert_settings(c)
    )
