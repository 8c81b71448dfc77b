"""Console changes: refusing unknown fields, and the audit trail of who changed what."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def record_admin_change(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    subject: object,
    before: DataclassInstance | dict[str, Any] | None,
    after: DataclassInstance | dict[str, Any] | None,
    now: datetime,
) -> None:
    """One audit row in the caller's transaction; `action` is "<kind>.<verb>", e.g. store.create.

    `before` and `after` are the object as the caller shows it: a view dataclass (stored as
    its fields, `dataclasses.asdict`) or a dict."""
    kind = action.split(".", 1)[0]
    uow.repo(AuditRepo).add(
        actor.merchant_id,
        actor_type="user",
        actor_id=str(actor.user_id),
        action=action,
        subject=f"{kind}:{subject}"[:100],
        before=_as_json(before),
        after=_as_json(after),
        now=now,
    )


def _as_json(value: DataclassInstance | dict[str, Any] | None) -> dict[str, Any] | None:
    """The audit row's before/after: genuinely free-form JSON (any object's fields)."""
    if value is None or isinstance(value, dict):
        return value
    return dataclasses.asdict(value)


def reject_unknown_fields(given: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse a change that names fields the object does not have (a typo must not pass)."""
    unknown = set(given) - set(allowed)
    if unknown:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=",".join(sorted(unknown)))
