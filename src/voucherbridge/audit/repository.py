"""The audit log: hash-chained, append-only, scoped by merchant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.alerts import AuditEvent
from voucherbridge.domain.audit_chain import GENESIS, ChainHead, ChainRow, hash_row

_heads = t.audit_chain_heads
_log = t.audit_log
# Takes the chain-head row lock (PostgreSQL) before reading the tail, so that two writers
# queue here instead of both chaining onto the same previous hash. SQLite's single writer
# already serializes; the same statement serves both.
_ADVANCE = (
    update(_heads)
    .where(_heads.c.chain_id == bindparam("b_chain"))
    .values(last_seq=_heads.c.last_seq + 1)
    .returning(_heads.c.last_seq, _heads.c.last_hash)
)


def _fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "merchant_id": row.merchant_id,
        "store_id": row.store_id,
        "seq": row.seq,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "action": row.action,
        "subject": row.subject,
        "before": row.before,
        "after": row.after,
        "at": row.at,
    }


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
        store_id: int | None = None,
    ) -> None:
        """Append one row to the merchant's chain, in the caller's transaction."""
        chain = merchant_id or 0
        seq, prev = self._advance(chain)
        fields = {
            "merchant_id": merchant_id,
            "store_id": store_id,
            "seq": seq,
            "actor_type": actor_type,
            "actor_id": actor_id[:64],
            "action": action,
            "subject": subject[:100],
            "before": before,
            "after": after,
            "at": now,
        }
        digest = hash_row(fields, prev)
        self._insert(_log, {**fields, "prev_hash": prev, "row_hash": digest})
        self.conn.execute(update(_heads).where(_heads.c.chain_id == chain).values(last_hash=digest))

    def _advance(self, chain: int) -> tuple[int, str]:
        row = self.conn.execute(_ADVANCE, {"b_chain": chain}).first()
        if row is None:
            # The chain's first row: create its head, tolerating a concurrent creator.
            dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
            self.conn.execute(
                dialect.insert(_heads)
                .values(chain_id=chain, last_seq=0, last_hash=GENESIS)
                .on_conflict_do_nothing(index_elements=["chain_id"])
            )
            row = self.conn.execute(_ADVANCE, {"b_chain": chain}).one()
        return int(row.last_seq), str(row.last_hash)

    # ---- verifying ------------------------------------------------------------------------
    def chain_ids(self) -> list[int]:
        rows = self.conn.execute(
            select(_heads.c.chain_id)
            .union(select(func.coalesce(_log.c.merchant_id, 0)).distinct())
            .order_by("chain_id")
        )
        return [int(r[0]) for r in rows]

    def chain(self, chain_id: int) -> tuple[list[ChainRow], ChainHead | None]:
        """Every row of one chain in id order, and its head."""
        owner = _log.c.merchant_id.is_(None) if chain_id == 0 else _log.c.merchant_id == chain_id
        rows = [
            ChainRow(r.id, _fields(r), r.prev_hash, r.row_hash)
            for r in self.conn.execute(select(_log).where(owner).order_by(_log.c.id))
        ]
        head = self.conn.execute(select(_heads).where(_heads.c.chain_id == chain_id)).first()
        return rows, ChainHead(int(head.last_seq), str(head.last_hash)) if head else None

    # ---- reading --------------------------------------------------------------------------
    def page(
        self,
        merchant_id: int,
        *,
        store_ids: frozenset[int] | None,
        action: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Newest first; `before_id` pages backwards (keyset, stable under appends)."""
        query = select(_log).where(_log.c.merchant_id == merchant_id)
        if store_ids is not None:
            query = query.where(_log.c.store_id.in_(sorted(store_ids)))
        if action:
            query = query.where(_log.c.action.startswith(action, autoescape=True))
        if before_id is not None:
            query = query.where(_log.c.id < before_id)
        rows = self.conn.execute(query.order_by(_log.c.id.desc()).limit(limit))
        return [{"id": r.id, **_fields(r), "row_hash": r.row_hash} for r in rows]

    def events(self, merchant_id: int, actions: Sequence[str], since: datetime) -> list[AuditEvent]:
        rows = self.conn.execute(
            select(_log)
            .where(
                _log.c.merchant_id == merchant_id,
                _log.c.action.in_(list(actions)),
                _log.c.at >= since,
            )
            .order_by(_log.c.id)
        )
        return [
            AuditEvent(r.id, r.action, r.actor_type, r.actor_id, r.store_id, r.at, r.after)
            for r in rows
        ]

    def opening_hours(self, merchant_id: int) -> dict[int, str | None]:
        rows = self.conn.execute(
            select(t.stores.c.id, t.stores.c.opening_hours).where(
                t.stores.c.merchant_id == merchant_id
            )
        )
        return {int(r.id): r.opening_hours for r in rows}
