"""The micro-mall simulator and outbox workers beside a bench run, and the check that every
queued sync arrived exactly once.

The redeem run on PostgreSQL (issue #20 point 3) and the sync backlog both sell or issue
micro-mall codes, let `voucherbridge worker` deliver each redemption's `code.redeemed` row to
the simulator (`src/voucherbridge_sims/weimall`), and then count what the simulator saw.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import VB, BenchError, sql

STORE = "wm-store-1"  # the simulator's default store, bound by seed-demo
SYNC = "destination = 'platform:weimall'"  # a redemption's sync row (not a buyer's message)


def simulator_spec(name: str, port: int) -> tuple[str, list[str], str, Path | None]:
    """The micro-mall simulator on 127.0.0.1:`port`, for `harness.servers`."""
    args = [sys.executable, "-m", "voucherbridge_sims", "weimall"]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    return (name, args, f"http://127.0.0.1:{port}/_sim/clock", None)


def worker_spec(name: str, *options: str) -> tuple[str, list[str], None, Path | None]:
    """One `voucherbridge worker` process (no health URL: it only has to stay up)."""
    return (name, [VB, "worker", *options], None, None)


def register_codes(sim: str, codes: list[str]) -> None:
    """Tell the simulator it sold `codes` (it refuses a redemption of a code it never sold)."""
    for start in range(0, len(codes), 5000):
        httpx.post(
            f"{sim}/_sim/weimall/codes",
            timeout=60,
            json={"store_id": STORE, "codes": codes[start : start + 5000]},
        ).raise_for_status()


def used_at_mall(sim: str) -> tuple[int, int]:
    """(codes the simulator saw used, codes it saw used more than once)."""
    listed = httpx.get(f"{sim}/_sim/weimall/codes", timeout=120).json()
    return (
        sum(1 for c in listed if c["use_count"] > 0),
        sum(1 for c in listed if c["use_count"] > 1),
    )


def undelivered(url: str, where: str, params: tuple = ()) -> int:
    """Sync rows of `where` still pending or in flight."""
    query = f"SELECT count(*) FROM outbox WHERE {where} AND status IN ('pending', 'inflight')"
    return int(sql(url, query, params)[0][0])


def wait_drained(url: str, where: str, params: tuple = (), stall_s: float = 60.0) -> float:
    """Seconds until no sync row of `where` is pending or in flight (BenchError when the count
    stops moving for `stall_s`)."""
    started = moved = time.perf_counter()
    last = -1
    while (left := undelivered(url, where, params)) > 0:
        now = time.perf_counter()
        if left != last:
            last, moved = left, now
        elif now - moved > stall_s:
            raise BenchError(f"sync: {left} rows still undelivered after {now - started:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def check_every_sync(url: str, sim: str, redeemed: int) -> dict[str, Any]:
    """After a drain: the outbox holds exactly `redeemed` delivered sync rows, none retried,
    and the simulator saw as many codes used, none twice. BenchError otherwise: a lost or
    doubled sync is a wrong answer, not a slow one."""
    statuses = dict(sql(url, f"SELECT status, count(*) FROM outbox WHERE {SYNC} GROUP BY status"))
    retried = int(sql(url, f"SELECT count(*) FROM outbox WHERE {SYNC} AND attempts > 1")[0][0])
    used, twice = used_at_mall(sim)
    if statuses != {"delivered": redeemed} or used != redeemed or twice:
        raise BenchError(
            f"sync: outbox {statuses}, {used} codes used at the mall ({twice} twice); wanted "
            f"exactly {redeemed} deliveries"
        )
    return {"delivered": redeemed, "retried": retried, "arrived_at_simulator": used}
