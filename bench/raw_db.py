"""The raw database limit of a redemption's transaction: the driver alone, no framework.

Reads a JSON job on stdin and prints {"transactions", "seconds", "rps"}. Each transaction does
what a redemption of one of our codes writes, with the driver (sqlite3 / psycopg) and literal
SQL: the key check, the order's row lock, the code's compare-and-set, the redemption, its code
event, its outbox row, an audit row on a lane of its own with the lane's head, the idempotency
row; then COMMIT. Job: {"url", "pairs": [[code_id, order_id, code], ...], "merchant_id",
"store_id", "terminal_id", "template_id", "key_hash", "seconds", "threads"}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

STATEMENTS = [
    "SELECT id, store_id, revoked_at FROM terminals WHERE key_hash = %s",
    "UPDATE orders SET version = version + 1 WHERE merchant_id = %s AND id = %s"
    " AND status = 'open'",
    # The compare-and-set's shape; the run cycles over its codes, so it accepts both states.
    "UPDATE codes SET status = 'redeemed', version = version + 1, redeemed_at = %s"
    " WHERE id = %s AND status IN ('issued', 'redeemed')",
    "INSERT INTO redemptions (merchant_id, public_id, store_id, terminal_id, order_id, code_id,"
    " code, platform, template_id, kind, name, stackable, discount_fen, allocations, status,"
    " redeemed_at, reversible_until) VALUES (%s, %s, %s, %s, %s, %s, %s, 'weimall', %s, 'cash',"
    " '100元代金券', %s, 10000, '{}', 'active', %s, %s) RETURNING id",
    "INSERT INTO code_events (merchant_id, code_id, event, at, store_id, order_id,"
    " redemption_id, actor, detail) VALUES (%s, %s, 'redeemed', %s, %s, %s, %s, %s, %s)",
    "INSERT INTO outbox (merchant_id, topic, destination, dedupe_key, payload, status, attempts,"
    " next_attempt_at, created_at, order_key) VALUES (%s, 'code.redeemed', 'platform:weimall',"
    " %s, %s, 'pending', 0, %s, %s, %s)",
    "UPDATE audit_chain_heads SET last_seq = last_seq + 1 WHERE chain_id = %s AND lane = %s"
    " RETURNING last_seq, last_hash",
    "INSERT INTO audit_log (merchant_id, actor_type, actor_id, action, subject, before, after,"
    " at, store_id, seq, prev_hash, row_hash, lane) VALUES (%s, 'terminal', %s,"
    " 'redemption.redeem', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "UPDATE audit_chain_heads SET last_hash = %s WHERE chain_id = %s AND lane = %s",
    "INSERT INTO idempotency_keys (terminal_id, key, request_hash, redemption_id, response,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s)",
]
# The raw run's audit rows go to a chain of their own, so the merchant's stays verifiable.
RAW_CHAIN = 2**40


def connect(url: str) -> tuple[Any, bool]:
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn, True
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")), False


def run(job: dict[str, Any]) -> dict[str, Any]:
    pairs = list(job["pairs"])
    lock = threading.Lock()
    done = [0]
    deadline = time.perf_counter() + job["seconds"]
    lanes = list(range(job["threads"]))
    conn, is_sqlite = connect(job["url"])
    try:  # a schema from before the audit chain's lanes (VB_BENCH_SRC): one lane, no column
        conn.execute("SELECT lane FROM audit_chain_heads WHERE 1 = 0").fetchall()
    except Exception:
        conn.rollback()
        return {"transactions": 0, "seconds": 0.0, "rps": 0.0, "skipped": "no lanes"}
    for lane in lanes:
        conn.execute(
            (
                "INSERT INTO audit_chain_heads (chain_id, lane, last_seq, last_hash)"
                " VALUES (%s, %s, 0, %s) ON CONFLICT DO NOTHING"
            ).replace("%s", "?" if is_sqlite else "%s"),
            (RAW_CHAIN, lane, "0" * 64),
        )
    conn.commit()
    conn.close()

    def worker(lane: int) -> None:
        conn, is_sqlite = connect(job["url"])
        sql = [s.replace("%s", "?") for s in STATEMENTS] if is_sqlite else STATEMENTS
        m, store, till = job["merchant_id"], job["store_id"], job["terminal_id"]
        while time.perf_counter() < deadline:
            with lock:
                code_id, order_id, code = pairs[done[0] % len(pairs)]
            now = datetime.now(UTC)
            at, until = now.isoformat(), (now + timedelta(minutes=60)).isoformat()
            public_id, key = f"rdm_{uuid.uuid4().hex}", uuid.uuid4().hex
            cur = conn.cursor()
            if is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(sql[0], (job["key_hash"],)).fetchone()
            cur.execute(sql[1], (m, order_id))
            cur.execute(sql[2], (at, code_id))
            rid = cur.execute(
                sql[3],
                (
                    m,
                    public_id,
                    store,
                    till,
                    order_id,
                    code_id,
                    code,
                    job["template_id"],
                    True,
                    at,
                    until,
                ),
            ).fetchone()[0]
            detail = json.dumps({"discount_fen": 10000})
            cur.execute(sql[4], (m, code_id, at, store, order_id, rid, f"terminal:{till}", detail))
            payload = json.dumps({"redemption_id": public_id, "code": code, "at": at})
            cur.execute(sql[5], (m, f"{public_id}:redeemed", payload, at, at, f"code:{code_id}"))
            seq, prev = cur.execute(sql[6], (RAW_CHAIN, lane)).fetchone()
            after = json.dumps({"status": "redeemed", "code_id": code_id, "order_id": order_id})
            digest = uuid.uuid4().hex * 2
            cur.execute(
                sql[7],
                (
                    m,
                    str(till),
                    public_id,
                    '{"status": "issued"}',
                    after,
                    at,
                    store,
                    seq,
                    prev,
                    digest,
                    lane,
                ),
            )
            cur.execute(sql[8], (digest, RAW_CHAIN, lane))
            cur.execute(sql[9], (till, key, "0" * 64, rid, payload, at))
            conn.commit()
            with lock:
                done[0] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"transactions": done[0], "seconds": seconds, "rps": done[0] / seconds}


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
