"""A worker's claim reads the rows still to deliver, not the delivered history before them.

The claim is `ORDER BY id LIMIT n`: without an index of the undelivered rows PostgreSQL walked
the primary key from the first row ever queued and dropped every delivered one (4.3 ms a claim
at 20,000 delivered rows, growing with the history; found with a worker beside the redeem
bench, issue #20). Migration 0021 adds a partial index, and the claim names its predicate."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from tests.counter.test_hot_query_plans import captured
from tests.factories import FakeClock
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.repository import OutboxRepo

DELIVERED, PENDING = 3000, 20


def _history(container: Container, clock: FakeClock) -> None:
    """A long delivered history, then a few rows still to deliver (ids after it)."""
    now = clock.now
    insert = text(
        "INSERT INTO outbox (merchant_id, topic, destination, dedupe_key, payload, status,"
        " attempts, next_attempt_at, created_at, delivered_at, order_key) VALUES (:m,"
        " 'code.redeemed', 'platform:weimall', :k, :p, :s, 1, :t, :t, :d, :o)"
    )
    with container.engine.begin() as conn:
        merchant = conn.execute(text("SELECT min(id) FROM merchants")).scalar_one()
        rows = [
            {
                "m": merchant,
                "k": f"{status}-{n}",
                "p": json.dumps({"code": f"C{status}{n}"}),
                "s": status,
                "t": now - timedelta(minutes=1),
                "d": now - timedelta(minutes=1) if status == "delivered" else None,
                "o": f"platform:weimall:C{status}{n}",
            }
            for status, count in (("delivered", DELIVERED), ("pending", PENDING))
            for n in range(count)
        ]
        conn.execute(insert, rows)
        conn.execute(text("ANALYZE outbox"))


def _plan(container: Container, statement: str, params: Any) -> str:
    raw = container.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if container.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE) " + statement, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


def test_a_claim_takes_the_undelivered_rows_through_their_own_index(
    container: Container, demo: dict[str, Any], clock: FakeClock
) -> None:
    _history(container, clock)
    now = clock.now
    with captured(container) as statements:
        with container.uow(write=True) as uow:
            claimed = uow.repo(OutboxRepo).claim(now, 50, now + timedelta(minutes=5))
            uow.commit()
    seen = [(sql, params) for sql, params in statements if "FROM outbox" in sql and "LIMIT" in sql]
    assert [row.status for row in claimed] == ["inflight"] * PENDING
    assert [row.dedupe_key for row in claimed] == [f"pending-{n}" for n in range(PENDING)]
    assert len(seen) == 1
    plan = _plan(container, *seen[0])
    assert "ix_outbox_undelivered_id" in plan, plan
    assert f"Rows Removed by Filter: {DELIVERED}" not in plan, plan
