"""The outbox table: rows are claimed with a lease, so a crashed worker's rows come back.

On PostgreSQL the claim skips rows another worker holds (`FOR UPDATE SKIP LOCKED`), so several
workers share the table; on SQLite one worker runs and the clause is not rendered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import OutboxMessage, OutboxRow

_o = t.outbox


def _row(r: Row[Any]) -> OutboxRow:
    return OutboxRow(
        r.id,
        r.merchant_id,
        r.topic,
        r.destination,
        r.dedupe_key,
        r.payload,
        r.status,
        r.attempts,
        r.next_attempt_at,
        r.last_error,
        r.created_at,
        r.delivered_at,
    )


class OutboxRepo(Repository):
    def add(self, message: OutboxMessage, now: datetime) -> None:
        self._insert(
            _o,
            {
                "merchant_id": message.merchant_id,
                "topic": message.topic,
                "destination": message.destination,
                "dedupe_key": message.dedupe_key,
                "payload": message.payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[OutboxRow]:
        """Take up to `limit` due rows (or rows whose lease ran out) for one delivery attempt."""
        due = or_(
            and_(_o.c.status == "pending", _o.c.next_attempt_at <= now),
            and_(_o.c.status == "inflight", _o.c.locked_until < now),
        )
        ids = [
            r.id
            for r in self.conn.execute(
                select(_o.c.id)
                .where(due)
                .order_by(_o.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ]
        if not ids:
            return []
        self.conn.execute(
            update(_o)
            .where(_o.c.id.in_(ids))
            .values(status="inflight", locked_until=lease_until, attempts=_o.c.attempts + 1)
        )
        rows = self.conn.execute(select(_o).where(_o.c.id.in_(ids)).order_by(_o.c.id))
        return [_row(r) for r in rows]

    def mark_delivered(self, outbox_id: int, now: datetime) -> None:
        self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.status == "inflight")
            .values(status="delivered", delivered_at=now, locked_until=None, last_error=None)
        )

    def reschedule(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
        self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.status == "inflight")
            .values(
                status="pending",
                next_attempt_at=next_attempt_at,
                locked_until=None,
                last_error=error[:2000],
            )
        )

    def mark_dead(self, outbox_id: int, error: str) -> None:
        self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.status == "inflight")
            .values(status="dead", locked_until=None, last_error=error[:2000])
        )

    def retry(self, merchant_id: int, outbox_id: int, now: datetime) -> bool:
        """A person asks for a dead row to be tried again, with a fresh attempt budget."""
        result = self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.merchant_id == merchant_id, _o.c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now)
        )
        return result.rowcount == 1

    def get(self, merchant_id: int, outbox_id: int) -> OutboxRow | None:
        r = self.conn.execute(
            select(_o).where(_o.c.id == outbox_id, _o.c.merchant_id == merchant_id)
        ).first()
        return _row(r) if r else None

    def list(self, merchant_id: int, status: str | None, limit: int) -> list[OutboxRow]:
        query = select(_o).where(_o.c.merchant_id == merchant_id)
        if status:
            query = query.where(_o.c.status == status)
        rows = self.conn.execute(query.order_by(_o.c.id.desc()).limit(limit))
        return [_row(r) for r in rows]

    def counts(self, merchant_id: int) -> dict[str, int]:
        rows = self.conn.execute(
            select(_o.c.status, func.count())
            .where(_o.c.merchant_id == merchant_id)
            .group_by(_o.c.status)
        )
        return {status: int(n) for status, n in rows}
