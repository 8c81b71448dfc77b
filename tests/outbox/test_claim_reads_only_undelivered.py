"""A worker's claim reads the rows it takes, not the delivered history or the waiting rows.

Found with a worker beside the redeem bench (issue #20). Claiming `ORDER BY id LIMIT n`,
PostgreSQL walked the primary key from the first row ever queued and dropped every delivered
row (4.3 ms a claim at 20,000 delivered rows, growing with the history); in id order a claim
also steps over every row waiting on a retry. And with statistics older than the backlog (a
new outbox, or 50,000 rows queued into a large history) the planner read every due row,
checked each for an earlier row of its code, and sorted them all to keep ten. Migration 0021's
partial index holds the rows still to deliver, longest due first; the claim walks it and stops
after the rows it takes, with or without fresh statistics."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.counter.test_hot_query_plans import captured
from tests.factories import FakeClock
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.repository import OutboxRepo

DELIVERED, WAITING, DUE, BATCH = 3000, 1000, 1500, 10


def _history(container: Container, clock: FakeClock, *, analyzed: bool) -> None:
    """A delivered history, then rows waiting on a retry, then the rows due now (in id order)."""
    now = clock.now
    insert = text(
        "INSERT INTO outbox (merchant_id, topic, destination, dedupe_key, payload, status,"
        " attempts, next_attempt_at, created_at, delivered_at, order_key) VALUES (:m,"
        " 'code.redeemed', 'platform:weimall', :k, :p, :s, :a, :t, :c, :d, :o)"
    )
    earlier, later = now - timedelta(minutes=1), now + timedelta(minutes=10)
    kinds = (("delivered", DELIVERED, earlier), ("waiting", WAITING, later), ("due", DUE, earlier))
    with container.engine.begin() as conn:
        merchant = conn.execute(text("SELECT min(id) FROM merchants")).scalar_one()
        rows = [
            {
                "m": merchant,
                "k": f"{kind}-{n}",
                "p": json.dumps({"code": f"C{kind}{n}"}),
                "s": "delivered" if kind == "delivered" else "pending",
                "a": 1 if kind == "delivered" else 0,
                "t": due_at,
                "c": earlier,
                "d": earlier if kind == "delivered" else None,
                "o": f"platform:weimall:C{kind}{n}",
            }
            for kind, count, due_at in kinds
            for n in range(count)
        ]
        conn.execute(insert, rows)
        if analyzed:
            conn.execute(text("ANALYZE outbox"))


def _plan(container: Container, statements: list[tuple[str, Any]]) -> str:
    """The plan of the last statement, run after the ones before it in one transaction."""
    raw = container.engine.raw_connection()
    try:
        cursor = raw.cursor()
        *before, (claim, params) = statements
        for sql, earlier_params in before:
            cursor.execute(sql, earlier_params)
        if container.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE) " + claim, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + claim, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


@pytest.mark.parametrize("analyzed", [True, False], ids=["fresh-statistics", "stale-statistics"])
def test_a_claim_reads_only_the_rows_it_takes(
    container: Container, demo: dict[str, Any], clock: FakeClock, analyzed: bool
) -> None:
    _history(container, clock, analyzed=analyzed)
    now = clock.now
    with captured(container) as statements:
        with container.uow(write=True) as uow:
            claimed = uow.repo(OutboxRepo).claim(now, BATCH, now + timedelta(minutes=5))
            uow.commit()
    assert [row.status for row in claimed] == ["inflight"] * BATCH
    assert [row.dedupe_key for row in claimed] == [f"due-{n}" for n in range(BATCH)]

    upto = next(i for i, (sql, _) in enumerate(statements) if "LIMIT" in sql and "outbox" in sql)
    plan = _plan(container, [s for s in statements[: upto + 1] if "SAVEPOINT" not in s[0]])
    assert "ix_outbox_undelivered_due" in plan, plan
    if container.engine.dialect.name == "postgresql":
        scan = next(line for line in plan.splitlines() if "ix_outbox_undelivered_due" in line)
        # the index hands over the rows taken, nothing before them and nothing to sort
        assert re.search(rf"actual time=\S+ rows={BATCH} loops=1", scan), plan
        assert "Sort" not in plan, plan


def test_a_row_whose_lease_ran_out_is_claimed_again_first(
    container: Container, demo: dict[str, Any], clock: FakeClock
) -> None:
    """A crashed worker's row was due before the rows queued after it: it goes first."""
    _history(container, clock, analyzed=False)
    now = clock.now
    with container.uow(write=True) as uow:
        first = uow.repo(OutboxRepo).claim(now, 1, now + timedelta(minutes=2))
        uow.commit()
    with container.uow(write=True) as uow:
        meanwhile = uow.repo(OutboxRepo).claim(now, 2, now + timedelta(minutes=10))
        uow.commit()
    later = now + timedelta(minutes=3)
    with container.uow(write=True) as uow:
        again = uow.repo(OutboxRepo).claim(later, 2, later + timedelta(minutes=2))
        uow.commit()
    assert [r.dedupe_key for r in first] == ["due-0"]
    assert [r.dedupe_key for r in meanwhile] == ["due-1", "due-2"]
    assert [(r.dedupe_key, r.attempts) for r in again] == [("due-0", 2), ("due-3", 1)]


def test_postgresql_cleans_the_outbox_after_a_few_thousand_changes(container: Container) -> None:
    """Each delivery leaves dead row versions where the claim starts its walk; the default
    (a fifth of the table) would wait for hundreds of thousands in a long history."""
    if container.engine.dialect.name != "postgresql":
        pytest.skip("autovacuum is PostgreSQL's")
    with container.engine.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'outbox'")
        ).scalar_one()
    assert sorted(options) == [
        "autovacuum_analyze_scale_factor=0",
        "autovacuum_analyze_threshold=5000",
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_threshold=5000",
    ]
