"""The outbox table: rows are claimed with a lease, so a crashed worker's rows come back.

On PostgreSQL the claim skips rows another worker holds (`FOR UPDATE SKIP LOCKED`), so several
workers share the table; on SQLite one worker runs and the clause is not rendered. Rows of one
order key are claimed one at a time, in id order (see ordering.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, func, or_, select, text, update

from voucherbridge.core.request_id import request_id
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import OutboxMessage, OutboxRow
from voucherbridge.outbox.ordering import ACTIVE, SKIPPED, order_key

_o = t.outbox
_UNDELIVERED = text(t.OUTBOX_UNDELIVERED)
# The claim must walk ix_outbox_undelivered_due and stop after `limit` rows. When the table's
# statistics are stale (a new outbox, or a backlog that built up faster than autovacuum
# analyzes: 50,000 rows are not 10% of a large history) the planner believes a handful of rows
# are due and reads every one of them, checks each for an earlier row and sorts: 5 ms a claim
# at 2,500 due rows, O(backlog) exactly when a drain needs speed. For this transaction only.
_WALK_THE_INDEX = text(
    "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)"
)
# SQLite without statistics chose ix_outbox_status_next and sorted every due row; likely() (a
# no-op at run time, and the partial index still matches) makes the ordered walk the cheaper.
_UNDELIVERED_SQLITE = text(f"likely({t.OUTBOX_UNDELIVERED})")
_earlier = _o.alias("earlier")
# An earlier row of the same key still to be delivered: the row must wait for it.
_held_back = exists().where(
    _earlier.c.order_key == _o.c.order_key,
    _earlier.c.id < _o.c.id,
    _earlier.c.status.in_(ACTIVE),
)


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


_INSERT = _o.insert()
_INSERT_ONE = Prepared(_INSERT)


class OutboxRepo(Repository):
    def add(self, message: OutboxMessage, now: datetime) -> None:
        self.add_many([message], now)

    def add_many(self, messages: Sequence[OutboxMessage], now: datetime) -> None:
        """Queue the messages in one statement (a purchase of three codes queues three)."""
        rid = request_id()
        rows = []
        for message in messages:
            payload = message.payload
            if rid is not None and "request_id" not in payload:
                # the request that wrote it: its id goes with the delivery (logs, X-Request-ID)
                payload = {**payload, "request_id": rid}
            rows.append(
                {
                    "merchant_id": message.merchant_id,
                    "topic": message.topic,
                    "destination": message.destination,
                    "dedupe_key": message.dedupe_key,
                    "payload": payload,
                    "order_key": order_key(message.destination, message.payload),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        if rows:
            if len(rows) == 1:
                _INSERT_ONE.run(self.conn, rows[0])
            else:
                self.conn.execute(_INSERT, rows)

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[OutboxRow]:
        """Take up to `limit` due rows (or rows whose lease ran out), the longest due first, for
        one delivery attempt; never a row whose order key has an earlier row still to deliver,
        so a batch holds at most the first waiting row of each code."""
        undelivered = _UNDELIVERED
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_WALK_THE_INDEX)
        else:
            undelivered = _UNDELIVERED_SQLITE
        ids = [
            r.id
            for r in self.conn.execute(
                select(_o.c.id)
                # the partial index's own predicate, in literals, so that even a prepared
                # statement's generic plan can use it (see t.OUTBOX_UNDELIVERED); an in-flight
                # row was due when claimed, so the index range holds it too
                .where(undelivered, _o.c.next_attempt_at <= now)
                .where(or_(_o.c.status == "pending", _o.c.locked_until < now), ~_held_back)
                .order_by(_o.c.next_attempt_at, _o.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=_o)
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

    def give_back(self, ids: list[int], now: datetime) -> int:
        """A stopping worker's claimed rows it did not start: pending again at once, the
        attempt not counted, so the next worker need not wait for the lease to run out."""
        if not ids:
            return 0
        result = self.conn.execute(
            update(_o)
            .where(_o.c.id.in_(ids), _o.c.status == "inflight")
            .values(
                status="pending",
                attempts=_o.c.attempts - 1,
                next_attempt_at=now,
                locked_until=None,
            )
        )
        return int(result.rowcount)

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

    def release(self, outbox_id: int, note: str, now: datetime) -> None:
        """Give a claimed row back uncounted: it waits for an earlier row of its key."""
        self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.status == "inflight")
            .values(
                status="pending",
                attempts=_o.c.attempts - 1,
                next_attempt_at=now,
                locked_until=None,
                last_error=note[:2000],
            )
        )

    def skip(self, outbox_id: int, reason: str, now: datetime) -> bool:
        """Close a claimed row without delivering it; False (and the row released instead) when
        an earlier row of its key is back in the queue.

        The earlier rows are locked first, so a person's retry of one of them either commits
        before (this sees it pending) or waits and then finds this row skipped to requeue."""
        key = select(_o.c.order_key).where(_o.c.id == outbox_id).scalar_subquery()
        earlier = self.conn.execute(
            select(_o.c.status)
            .where(_o.c.order_key == key, _o.c.id < outbox_id)
            .order_by(_o.c.id)
            .with_for_update()
        ).all()
        if any(r.status in ACTIVE for r in earlier):
            self.release(outbox_id, "waiting for an earlier message of this code", now)
            return False
        self.conn.execute(
            update(_o)
            .where(_o.c.id == outbox_id, _o.c.status == "inflight")
            .values(status=SKIPPED, locked_until=None, last_error=reason[:2000])
        )
        return True

    def previous(self, outbox_id: int) -> OutboxRow | None:
        """The row queued just before this one under its order key (None without a key)."""
        key = select(_o.c.order_key).where(_o.c.id == outbox_id).scalar_subquery()
        r = self.conn.execute(
            select(_o)
            .where(_o.c.order_key == key, _o.c.id < outbox_id)
            .order_by(_o.c.id.desc())
            .limit(1)
        ).first()
        return _row(r) if r else None

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

    def requeue_skipped_after(self, outbox_id: int, now: datetime) -> list[int]:
        """Rows skipped because of this row, back in the queue now that it is retried (they
        wait behind it and are decided again once it is delivered or dead)."""
        key = select(_o.c.order_key).where(_o.c.id == outbox_id).scalar_subquery()
        later = _o.c.order_key == key, _o.c.id > outbox_id, _o.c.status == SKIPPED
        ids = [r.id for r in self.conn.execute(select(_o.c.id).where(*later).order_by(_o.c.id))]
        if ids:
            self.conn.execute(
                update(_o)
                .where(_o.c.id.in_(ids), _o.c.status == SKIPPED)
                .values(
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    last_error=None,
                )
            )
        return ids

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
