"""Platform bindings and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select

from voucherbridge.adapters.db import tables as t
from voucherbridge.adapters.db.repositories.base import Repository


class BindingRepo(Repository):
    def is_bound(self, store_id: int, platform: str) -> bool:
        return bool(
            self.conn.execute(
                select(
                    exists().where(
                        t.bindings.c.store_id == store_id,
                        t.bindings.c.platform == platform,
                        t.bindings.c.status == "bound",
                    )
                )
            ).scalar()
        )


class AuditRepo(Repository):
    def add(
        self,
        merchant_id: int | None,
        *,
        actor_type: str,
        actor_id: str,
        action: str,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        self._insert(
            t.audit_log,
            {
                "merchant_id": merchant_id,
                "actor_type": actor_type,
                "actor_id": actor_id,
                "action": action,
                "subject": subject,
                "before": before,
                "after": after,
                "at": now,
            },
        )
