"""Platform bindings (the audit log lives in repositories/audit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, select, update

from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Binding


def _binding(r: Row[Any]) -> Binding:
    return Binding(
        r.id,
        r.merchant_id,
        r.store_id,
        r.platform,
        r.platform_store_id,
        r.secret_encrypted,
        r.status,
        r.last_error,
        r.bound_at,
        r.account_id or "",
    )


_c, _co, _b = t.codes, t.code_orders, t.bindings
# The binding of the store with the code and its platform order (None: no such code), as the
# outbox worker needs them to tell the platform of one use: one statement per delivery.
_SYNC_TARGET = (
    select(
        _b,
        _c.c.code.label("x_code"),
        _co.c.platform_order_id.label("x_platform_order_id"),
    )
    .select_from(
        _b.outerjoin(
            _c.join(_co, _co.c.id == _c.c.code_order_id, isouter=True),
            and_(_c.c.merchant_id == _b.c.merchant_id, _c.c.code == bindparam("code")),
        )
    )
    .where(
        _b.c.merchant_id == bindparam("merchant_id"),
        _b.c.store_id == bindparam("store_id"),
        _b.c.platform == bindparam("platform"),
    )
)


@dataclass(frozen=True, slots=True)
class SyncTarget:
    binding: Binding
    code: str | None  # the code as we hold it; None when we have no such code
    platform_order_id: str


# Every callback reads it first (its secret checks the signature): built once.
_BY_PLATFORM_STORE = Prepared(
    select(t.bindings).where(
        t.bindings.c.platform == bindparam("platform"),
        t.bindings.c.platform_store_id == bindparam("platform_store_id"),
        t.bindings.c.status == "bound",
    )
)


class BindingRepo(Repository):
    def sync_target(
        self, merchant_id: int, store_id: int, platform: str, code: str
    ) -> SyncTarget | None:
        """The store's binding to `platform` with `code` and the platform order it was issued
        for; None when the store has no binding."""
        row = self.conn.execute(
            _SYNC_TARGET,
            {"merchant_id": merchant_id, "store_id": store_id, "platform": platform, "code": code},
        ).first()
        if row is None:
            return None
        return SyncTarget(
            _binding(row),
            str(row.x_code) if row.x_code is not None else None,
            str(row.x_platform_order_id or ""),
        )

    def get(self, merchant_id: int, store_id: int, platform: str) -> Binding | None:
        row = self.conn.execute(
            select(t.bindings).where(
                t.bindings.c.merchant_id == merchant_id,
                t.bindings.c.store_id == store_id,
                t.bindings.c.platform == platform,
            )
        ).first()
        return _binding(row) if row else None

    def by_platform_store(self, platform: str, platform_store_id: str) -> Binding | None:
        """The bound store behind a platform's store id (who a callback is for)."""
        params = {"platform": platform, "platform_store_id": platform_store_id}
        row = _BY_PLATFORM_STORE.run(self.conn, params).first()
        return _binding(row) if row else None

    def bound_to(self, platform: str) -> list[Binding]:
        """Every merchant's bound stores on ``platform`` (for jobs that look after sessions)."""
        query = select(t.bindings).where(
            t.bindings.c.platform == platform, t.bindings.c.status == "bound"
        )
        return [_binding(r) for r in self.conn.execute(query.order_by(t.bindings.c.id))]

    def replace_secret(self, binding_id: int, was: str, sealed: str) -> bool:
        """Compare-and-set of a binding's sealed secret: False when it changed meanwhile. The
        binding is bound again: a till refused with the retired session in the moment between
        the platform's renewal and this write may have marked it expired."""
        done = self.conn.execute(
            update(t.bindings)
            .where(t.bindings.c.id == binding_id, t.bindings.c.secret_encrypted == was)
            .values(secret_encrypted=sealed, status="bound", last_error=None)
        )
        return bool(done.rowcount == 1)

    def list(self, merchant_id: int, only_stores: frozenset[int] | None) -> list[Binding]:
        query = select(t.bindings).where(t.bindings.c.merchant_id == merchant_id)
        if only_stores is not None:
            query = query.where(t.bindings.c.store_id.in_(sorted(only_stores)))
        return [_binding(r) for r in self.conn.execute(query.order_by(t.bindings.c.id))]

    def save(
        self,
        merchant_id: int,
        *,
        store_id: int,
        platform: str,
        platform_store_id: str,
        secret_sealed: str,
        status: str,
        last_error: str | None,
        now: datetime,
        account_id: str = "",
    ) -> None:
        """Create or replace the store's binding to `platform`."""
        values = {
            "platform_store_id": platform_store_id,
            "secret_encrypted": secret_sealed,
            "account_id": account_id or None,
            "status": status,
            "last_error": last_error,
            "bound_at": now if status == "bound" else None,
        }
        existing = self.get(merchant_id, store_id, platform)
        if existing is None:
            self._insert(
                t.bindings,
                {
                    **values,
                    "merchant_id": merchant_id,
                    "store_id": store_id,
                    "platform": platform,
                    "created_at": now,
                },
            )
        else:
            self.conn.execute(
                update(t.bindings).where(t.bindings.c.id == existing.id).values(**values)
            )

    def note_failed_attempt(
        self, merchant_id: int, store_id: int, platform: str, error: str
    ) -> bool:
        """A re-bind's test call failed: note it on a `bound` binding, changing nothing else.

        Returns False (nothing written) when the store has no bound binding to `platform`."""
        b = t.bindings.c
        done = self.conn.execute(
            update(t.bindings)
            .where(
                b.merchant_id == merchant_id,
                b.store_id == store_id,
                b.platform == platform,
                b.status == "bound",
            )
            .values(last_error=error)
        )
        return bool(done.rowcount == 1)

    def mark_expired(self, merchant_id: int, store_id: int, platform: str, now: datetime) -> None:
        """The platform refused the stored authorization (a bound binding only)."""
        b = t.bindings.c
        self.conn.execute(
            update(t.bindings)
            .where(
                b.merchant_id == merchant_id,
                b.store_id == store_id,
                b.platform == platform,
                b.status == "bound",
            )
            .values(status="expired", last_error="binding_expired")
        )

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
