"""Flash sale: signed purchase callbacks of the micro-mall against our service, next to the raw
INSERT rate of the same rows.

Each callback is what the micro-mall simulator pushes when a buyer pays (`POST /hooks/weimall`,
a VOUCHER_PURCHASED envelope signed with `build_envelope("wm-store-1", "wm-secret-1", ...)` as
src/voucherbridge_sims/weimall/push.py signs it), 1-3 codes each, every one a new order. wrk
sends each body once (16 connections); an answer counts only with HTTP 200 and the mall's
`"code":0`. The clock stops when the database holds every order (wrk is then interrupted).
The service runs with a callback tolerance of an hour (VOUCHERBRIDGE_CALLBACK_TOLERANCE_S):
the bodies are signed before the clock starts and a large run outlasts the mall's 300 s.

Ceiling: bench/raw_purchase.py writes the same rows (the inbound message, the code order, its
codes and their events, the audit row on a lane, the stored answer) per purchase in one
driver-level transaction, on a database of its own migrated and seeded the same way.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import procs
from bench.harness import (
    HERE,
    BenchError,
    Poll,
    free_port,
    migrate_and_seed,
    profiled,
    servers,
    service_env,
    service_spec,
    sql,
    wrk,
)
from voucherbridge.platforms.weimall.signing import build_envelope

ISSUE_SIZE = 20_000  # callbacks (issue #20)
DEFAULT_SCALE = 0.25
WARM = 100
STORE, SECRET = "wm-store-1", "wm-secret-1"  # the simulator's default store, bound by seed-demo
ACCEPTED = '"code":0,'  # the mall counts a push as delivered on HTTP 200 with code 0
GOAL = 0.3  # issue #20 point 6: flash sale >= 0.3 of the raw insert rate


def write_purchases(path: Path, coupon_id: str, quantities: list[int], prefix: str) -> Path:
    """One signed VOUCHER_PURCHASED envelope per line, as the simulator sends it."""
    now_s = int(time.time())
    with path.open("w") as out:
        for n, quantity in enumerate(quantities):
            payload = {
                "order_no": f"{prefix}{n:07d}",
                "coupon_id": coupon_id,
                "title": "60代100元票券抢购",
                "quantity": quantity,
                "unit_price_fen": 6000,
                "buyer": {"openid": f"o-bench-{n}", "mobile_masked": "138****0000"},
                "paid_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now_s)),
            }
            envelope = build_envelope(
                STORE, SECRET, "VOUCHER_PURCHASED", payload, now_s=now_s, msg_id=uuid.uuid4().hex
            )
            body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
            out.write(f"{prefix}{n}\t{body}\n")
    return path


def run(backend: str, new_db: Callable[[str], str], work: Path, scale: float) -> dict[str, Any]:
    n = max(100, round(ISSUE_SIZE * scale))
    processes = 1 if backend == "sqlite" else 2
    url = new_db("vb_flash")
    env = service_env(url, VOUCHERBRIDGE_CALLBACK_TOLERANCE_S="3600")
    demo = migrate_and_seed(env)
    coupon = demo["listings"]["weimall"]["cash"]["public_id"]
    rng = random.Random(20)
    quantities = [rng.randint(1, 3) for _ in range(n)]
    warm = write_purchases(work / "flash-warm.tsv", coupon, [1] * WARM, "FSW")
    bodies = write_purchases(work / "flash.tsv", coupon, quantities, "FS")
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hooks/weimall"
    count = "SELECT count(*) FROM code_orders WHERE platform = 'weimall'"
    with servers([service_spec(port, processes)], env, work) as (service,):
        poll = Poll(url, count)
        try:
            warmed = wrk(
                hook,
                warm,
                seconds=120,
                mode="once",
                expect=200,
                headers={},
                expect_body=ACCEPTED,
                count=poll,
                want=WARM,
            )
            if not warmed["reached"]:
                raise BenchError(f"flash sale warm-up: {warmed['bad_sample'] or warmed}")
            db_port = int(url.rsplit(":", 1)[1].split("/")[0]) if backend == "postgresql" else 0
            watch = {"service": service.pid}
            profiled(service.pid, f"flash-{backend}", min(10.0, n / 400))
            if db_port and (postmaster := procs.postmaster(db_port)):
                watch["database"] = postmaster
            result = wrk(
                hook,
                bodies,
                seconds=3600,
                mode="once",
                expect=200,
                headers={},
                expect_body=ACCEPTED,
                count=poll,
                want=WARM + n,
                watch=watch,
            )
        finally:
            poll.close()
    if not result["reached"]:
        raise BenchError(f"flash sale: the database never held {n} orders: {result}")
    orders, codes = sql(
        url,
        "SELECT count(DISTINCT o.id), count(c.id) FROM code_orders o JOIN codes c"
        " ON c.code_order_id = o.id WHERE o.platform_order_id LIKE %s",
        ("FS0%",),
    )[0]
    if (orders, codes) != (n, sum(quantities)):
        raise BenchError(
            f"flash sale: {orders} orders / {codes} codes, wanted {n} / {sum(quantities)}"
        )
    raw = raw_rate(backend, new_db, quantities)
    rate = n / result["elapsed_s"]
    return {
        "callbacks": n,
        "codes": sum(quantities),
        "processes": processes,
        "seconds": result["elapsed_s"],
        "rps": rate,
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "bad": result["bad"],
        # wrk's socket errors: mostly its 2 s timeout on an answer (the order is in the
        # database all the same: every order and code was counted above)
        "socket_errors": result["socket_errors"],
        "bad_sample": result["bad_sample"],
        "cpu_s": result["cpu_s"],
        "raw": raw,
        "ratio": rate / raw["rps"] if raw["rps"] else 0.0,
    }


def raw_rate(backend: str, new_db: Callable[[str], str], quantities: list[int]) -> dict:
    """bench/raw_purchase.py on a fresh database, migrated and seeded like the service's."""
    url = new_db("vb_flash_raw")
    own = migrate_and_seed(service_env(url))["listings"]["weimall"]["cash"]["public_id"]
    listing_id, merchant_id, template_id = sql(
        url, "SELECT id, merchant_id, template_id FROM listings WHERE public_id = %s", (own,)
    )[0]
    job = {
        "url": url,
        "merchant_id": merchant_id,
        "listing_id": listing_id,
        "template_id": template_id,
        "quantities": quantities,
        "threads": 1 if backend == "sqlite" else 8,
    }
    out = subprocess.run(
        [sys.executable, str(HERE / "raw_purchase.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise BenchError(f"raw_purchase failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def report(backend: str, r: dict[str, Any]) -> None:
    raw = r["raw"]
    print(
        f"[{backend}] flash sale: {r['callbacks']} signed purchase callbacks ({r['codes']} codes),"
        f" {r['processes']} API process(es), 16 connections"
    )
    print(
        f"  service {r['rps']:.0f} callbacks/s in {r['seconds']:.1f} s (p50 {r['p50_ms']:.1f} ms,"
        f" p99 {r['p99_ms']:.1f} ms, bad {r['bad']}, socket errors {r['socket_errors']});"
        " raw inserts of the same rows"
        f" {raw['rps']:.0f} purchases/s ({raw['threads']} thread(s));"
        f" flash/raw={r['ratio']:.2f} (goal >= {GOAL})"
    )
    if r["bad_sample"]:
        print(f"    bad answer: {r['bad_sample'][:200]}")
