"""The audit log: hash-chained, append-only, scoped by merchant.

A merchant's chain is a few lanes, each a hash chain of its own with one head row. An append
locks the head of a lane that no other transaction holds (PostgreSQL: FOR UPDATE SKIP LOCKED,
opening a new lane when every lane is busy, up to MAX_LANES), so concurrent redemptions of one
merchant do not queue on one row. SQLite has one writer at a time: it always uses lane 0.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.alerts import AuditEvent
from voucherbridge.domain.audit_chain import (
    GENESIS,
    HASHED_FIELDS,
    ChainHead,
    ChainRow,
    hash_row,
)

_heads = t.audit_chain_heads
_log = t.audit_log
# Lanes a merchant's chain may open; past it, writers queue on a lane again.
MAX_LANES = 16
_OF_LANE = and_(_heads.c.chain_id == bindparam("b_chain"), _heads.c.lane == bindparam("b_lane"))
# SQLite: takes the write lock (already held by a write transaction) and reads lane 0's tail.
_ADVANCE = Prepared(
    update(_heads)
    .where(_OF_LANE)
    .values(last_seq=_heads.c.last_seq + 1)
    .returning(_heads.c.lane, _heads.c.last_seq, _heads.c.last_hash)
)
# PostgreSQL: the lowest lane nobody holds, locked until commit.
_FREE_LANE = Prepared(
    select(_heads.c.lane, _heads.c.last_seq + 1, _heads.c.last_hash)
    .where(_heads.c.chain_id == bindparam("b_chain"))
    .order_by(_heads.c.lane)
    .limit(1)
    .with_for_update(skip_locked=True)
)
# PostgreSQL, every lane busy: wait for one (writers spread over the lanes by their own pick).
_WAIT_LANE = (
    select(_heads.c.lane, _heads.c.last_seq + 1, _heads.c.last_hash)
    .where(_OF_LANE)
    .with_for_update()
)
_NEXT_LANE = select(func.coalesce(func.max(_heads.c.lane) + 1, 0)).where(
    _heads.c.chain_id == bindparam("b_chain")
)
_SET_TAIL = (
    update(_heads)
    .where(_OF_LANE)
    .values(last_seq=bindparam("b_seq"), last_hash=bindparam("b_hash"))
)
_SQLITE_TAIL = Prepared(_SET_TAIL)
_INSERT = Prepared(_log.insert())
_APPENDED = (*HASHED_FIELDS, "lane", "prev_hash", "row_hash")
# PostgreSQL: the row and its lane's tail in one statement. Every value is a named parameter
# of its own (a_<column>), so the UPDATE in the WITH never picks up the INSERT's columns.
_APPEND_PG = Prepared(
    _log.insert()
    .values({name: bindparam(f"a_{name}", type_=_log.c[name].type) for name in _APPENDED})
    .add_cte(_SET_TAIL.cte("tail"))
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
        lane, seq, prev = self._take_lane(chain)
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
        row = {**fields, "lane": lane, "prev_hash": prev, "row_hash": digest}
        tail = {"b_chain": chain, "b_lane": lane, "b_seq": seq, "b_hash": digest}
        if self.conn.dialect.name == "postgresql":
            # the row and its lane's new tail in one round trip (a data-modifying WITH)
            _APPEND_PG.run(self.conn, {**{f"a_{k}": v for k, v in row.items()}, **tail})
            return
        _INSERT.run(self.conn, row)
        _SQLITE_TAIL.run(self.conn, tail)

    def _take_lane(self, chain: int) -> tuple[int, int, str]:
        """A lane of the chain held by this transaction: (lane, the new row's seq, prev hash)."""
        if self.conn.dialect.name != "postgresql":
            row = _ADVANCE.run(self.conn, {"b_chain": chain, "b_lane": 0}).first()
            if row is None:
                self._open_lane(chain, 0)
                row = _ADVANCE.run(self.conn, {"b_chain": chain, "b_lane": 0}).one()
            return int(row[0]), int(row[1]), str(row[2])
        while True:
            row = _FREE_LANE.run(self.conn, {"b_chain": chain}).first()
            if row is not None:
                return int(row[0]), int(row[1]), str(row[2])
            lane = int(self.conn.execute(_NEXT_LANE, {"b_chain": chain}).scalar_one())
            if lane >= MAX_LANES:  # every lane busy: queue on one of them
                pick = {"b_chain": chain, "b_lane": random.randrange(MAX_LANES)}
                row = self.conn.execute(_WAIT_LANE, pick).one()
                return int(row[0]), int(row[1]), str(row[2])
            if self._open_lane(chain, lane):
                return lane, 1, GENESIS  # the new head row is ours until commit

    def _open_lane(self, chain: int, lane: int) -> bool:
        """Create a lane's head; False when a concurrent writer created it first."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        created = self.conn.execute(
            dialect.insert(_heads)
            .values(chain_id=chain, lane=lane, last_seq=0, last_hash=GENESIS)
            .on_conflict_do_nothing(index_elements=["chain_id", "lane"])
            .returning(_heads.c.lane)
        )
        return created.first() is not None

    # ---- verifying ------------------------------------------------------------------------
    def chain_ids(self) -> list[int]:
        rows = self.conn.execute(
            select(_heads.c.chain_id)
            .union(select(func.coalesce(_log.c.merchant_id, 0)).distinct())
            .order_by("chain_id")
        )
        return [int(r[0]) for r in rows]

    def chain(self, chain_id: int) -> dict[int, tuple[list[ChainRow], ChainHead | None]]:
        """Every lane of one chain: its rows in id order, and its head."""
        owner = _log.c.merchant_id.is_(None) if chain_id == 0 else _log.c.merchant_id == chain_id
        lanes: dict[int, tuple[list[ChainRow], ChainHead | None]] = {}
        for r in self.conn.execute(select(_log).where(owner).order_by(_log.c.id)):
            lanes.setdefault(int(r.lane), ([], None))[0].append(
                ChainRow(r.id, _fields(r), r.prev_hash, r.row_hash)
            )
        for head in self.conn.execute(select(_heads).where(_heads.c.chain_id == chain_id)):
            rows = lanes.get(int(head.lane), ([], None))[0]
            lanes[int(head.lane)] = (rows, ChainHead(int(head.last_seq), str(head.last_hash)))
        return dict(sorted(lanes.items()))

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
