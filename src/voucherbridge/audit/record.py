"""Console changes: refusing unknown fields, and the audit trail of who changed what."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode


def record_admin_change(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    subject: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """One audit row in the caller's transaction; `action` is "<kind>.<verb>", e.g. store.create."""
    kind = action.split(".", 1)[0]
    uow.repo(AuditRepo).add(
        actor.merchant_id,
        actor_type="user",
        actor_id=str(actor.user_id),
        action=action,
        subject=f"{kind}:{subject}"[:100],
        before=before,
        after=after,
        now=now,
    )


def reject_unknown_fields(given: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse a change that names fields the object does not have (a typo must not pass)."""
    unknown = set(given) - set(allowed)
    if unknown:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=",".join(sorted(unknown)))
