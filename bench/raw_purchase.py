"""The raw INSERT rate of a purchase callback's rows: the driver alone, no framework.

Reads a JSON job on stdin and prints {"purchases", "codes", "seconds", "rps", "threads"}. Each
purchase is one transaction with literal SQL (sqlite3 / psycopg) writing what our service
writes for a VOUCHER_PURCHASED push: the inbound message's claim, the code order, each code and
its `issued` event, the audit row on a lane with the lane's head, the stored answer; COMMIT.
The reads the service does first (listing, template, "is this code taken") are left out: this
is the insert rate. Codes are made before the clock starts. Job: {"url", "merchant_id",
"listing_id", "template_id", "quantities": [1-3, ...], "threads"}.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from raw_db import connect

STATEMENTS = [
    "INSERT INTO inbound_messages (platform, action_key, message_id, answer, received_at)"
    " VALUES ('weimall', %s, %s, '{}', %s)",
    "INSERT INTO code_orders (merchant_id, listing_id, platform, platform_order_id, quantity,"
    " buyer_openid, created_at) VALUES (%s, %s, 'weimall', %s, %s, %s, %s) RETURNING id",
    "INSERT INTO codes (merchant_id, code, listing_id, template_id, code_order_id, platform,"
    " status, version, valid_from, valid_until, issued_at) VALUES (%s, %s, %s, %s, %s,"
    " 'weimall', 'issued', 1, %s, %s, %s) RETURNING id",
    "INSERT INTO code_events (merchant_id, code_id, event, at, actor, detail)"
    " VALUES (%s, %s, 'issued', %s, 'platform:weimall', %s)",
    "UPDATE audit_chain_heads SET last_seq = last_seq + 1 WHERE chain_id = %s AND lane = %s"
    " RETURNING last_seq, last_hash",
    "INSERT INTO audit_log (merchant_id, actor_type, actor_id, action, subject, before, after,"
    " at, seq, prev_hash, row_hash, lane) VALUES (%s, 'platform', 'weimall', 'codes.issue', %s,"
    " NULL, %s, %s, %s, %s, %s, %s)",
    "UPDATE audit_chain_heads SET last_hash = %s WHERE chain_id = %s AND lane = %s",
    "UPDATE inbound_messages SET answer = %s WHERE platform = 'weimall' AND action_key = %s",
]
RAW_CHAIN = 2**40 + 1  # a chain of its own, as in raw_db.py


def run(job: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(7)
    work = [
        (f"RAW{n:07d}", [f"W{rng.randrange(10**13):013d}" for _ in range(q)])
        for n, q in enumerate(job["quantities"])
    ]
    seen: set[str] = set()
    for _, codes in work:  # distinct, like the service's "is this code taken" check
        for i, code in enumerate(codes):
            while code in seen:
                code = f"W{rng.randrange(10**13):013d}"
            codes[i] = code
            seen.add(code)
    lanes = list(range(job["threads"]))
    conn, is_sqlite = connect(job["url"])
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
    lock = threading.Lock()
    nxt = [0]

    def worker(lane: int) -> None:
        conn, is_sqlite = connect(job["url"])
        sql = [s.replace("%s", "?") for s in STATEMENTS] if is_sqlite else STATEMENTS
        m, listing, template = job["merchant_id"], job["listing_id"], job["template_id"]
        while True:
            with lock:
                if nxt[0] >= len(work):
                    break
                order_no, codes = work[nxt[0]]
                nxt[0] += 1
            now = datetime.now(UTC)
            at, until = now.isoformat(), (now + timedelta(days=30)).isoformat()
            key = f"purchase:{order_no}"
            cur = conn.cursor()
            if is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(sql[0], (key, uuid.uuid4().hex, at))
            order_id = cur.execute(
                sql[1], (m, listing, order_no, len(codes), f"o-{order_no}", at)
            ).fetchone()[0]
            detail = json.dumps({"order": order_no})
            for code in codes:
                code_id = cur.execute(
                    sql[2], (m, code, listing, template, order_id, at, until, at)
                ).fetchone()[0]
                cur.execute(sql[3], (m, code_id, at, detail))
            seq, prev = cur.execute(sql[4], (RAW_CHAIN, lane)).fetchone()
            after = json.dumps({"listing": "raw", "quantity": len(codes)})
            digest = uuid.uuid4().hex * 2
            cur.execute(sql[5], (m, f"weimall:{order_no}", after, at, seq, prev, digest, lane))
            cur.execute(sql[6], (digest, RAW_CHAIN, lane))
            answer = json.dumps({"code": 0, "msg": "success", "data": {"codes": codes}})
            cur.execute(sql[7], (answer, key))
            conn.commit()
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "purchases": len(work),
        "codes": len(seen),
        "seconds": seconds,
        "rps": len(work) / seconds,
        "threads": len(lanes),
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
