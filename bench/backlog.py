"""Sync backlog (PostgreSQL): redemptions queued while the micro-mall is down, then drained by
1 and by 4 outbox workers against the micro-mall simulator.

Setup (bench/backlog_queue.py, in-process through the use cases): 2 x N codes sold by the
micro-mall, then, per drain, N `code.redeemed` outbox rows written by the function every
redemption calls to queue its sync. While they are queued neither the simulator nor a worker
runs (a worker running against a down mall only pushes each row's next attempt back along
the backoff: a schedule, not a throughput). Then the simulator comes up with the codes it sold
(`POST /_sim/weimall/codes`), K `voucherbridge worker` processes start (K = 1, then 4, each
one delivery loop, as several run on PostgreSQL), and the clock runs until the database holds
N delivered rows; the simulator must then show exactly N uses (`GET /_sim/weimall/codes`:
N codes used once, none twice). A fresh simulator per drain.

Twice over: with the simulator answering at loopback speed (a delivery is then nearly all
worker CPU, so on a 2-core machine 4 workers mostly share the same cores), and with each
platform call taking LATENCY_MS in the simulator (its `/_sim/latency`), as a platform's API
across the internet does: there a worker mostly waits, which is what several workers are for.

Rate: N over the span from the first to the last delivery (`outbox.delivered_at`), so that
the workers' start-up (imports, about a second each) is not counted; the wall time from
starting them is printed beside it. Ratio: 4 workers' rate over 1 worker's (goal >= 3x).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import procs
from bench.delivery import register_codes, simulator_spec, used_at_mall
from bench.harness import (
    HERE,
    VB,
    BenchError,
    Poll,
    free_port,
    migrate_and_seed,
    servers,
    service_env,
    sql,
)

ISSUE_SIZE = 50_000  # deliveries per drain (issue #20)
DEFAULT_SCALE = 0.04
WORKERS = (1, 4)
LATENCIES_MS = (0, 30)  # the simulator's answer delay per platform call
REDEEMED = "/open/v1/vouchers/redeemed"
GOAL = 3.0
# This drain's sync rows (other rows a redemption queues, such as a buyer's notification, are
# delivered by the same workers and counted apart).
MINE = "id > %s AND destination = 'platform:weimall'"


def helper(env: dict, *args: str, stdin: str = "") -> Any:
    out = subprocess.run(
        [sys.executable, str(HERE / "backlog_queue.py"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise BenchError(f"backlog_queue {args[0]} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def run(backend: str, new_db: Callable[[str], str], work: Path, scale: float) -> dict[str, Any]:
    n = max(100, round(ISSUE_SIZE * scale))
    url = new_db("vb_backlog")
    sim_port = free_port()
    sim = f"http://127.0.0.1:{sim_port}"
    env = service_env(url, VOUCHERBRIDGE_WEIMALL_BASE_URL=sim)
    demo = migrate_and_seed(env)
    coupon = demo["listings"]["weimall"]["cash"]["public_id"]
    began = time.perf_counter()
    runs = [(latency, workers) for latency in LATENCIES_MS for workers in WORKERS]
    codes = helper(env, "issue", coupon, str(n * len(runs)))
    print(f"  setup: {len(codes)} codes sold in {time.perf_counter() - began:.1f} s", flush=True)
    db_port = int(url.rsplit(":", 1)[1].split("/")[0])
    drains: dict[str, Any] = {}
    for k, (latency, workers) in enumerate(runs):
        mine = codes[k * n : (k + 1) * n]
        first_id = int(sql(url, "SELECT coalesce(max(id), 0) FROM outbox")[0][0])
        began = time.perf_counter()
        helper(env, "queue", demo["terminal_key"], stdin=json.dumps(mine))
        queued = time.perf_counter() - began
        name = f"{workers}@{latency}ms"
        drains[name] = drain(
            env, url, work, sim, sim_port, db_port, mine, first_id, workers, latency
        )
        drains[name]["queue_s"] = queued
    ratios = {f"{latency}ms": ratio(drains, latency) for latency in LATENCIES_MS}
    return {"deliveries": n, "drains": drains, "ratios": ratios, "ratio": ratios["0ms"]}


def ratio(drains: dict[str, Any], latency: int) -> float:
    one = drains[f"{WORKERS[0]}@{latency}ms"]["rps"]
    many = drains[f"{WORKERS[-1]}@{latency}ms"]["rps"]
    return float(many / one) if one else 0.0


def drain(
    env: dict,
    url: str,
    work: Path,
    sim: str,
    sim_port: int,
    db_port: int,
    codes: list[str],
    first_id: int,
    workers: int,
    latency_ms: int,
) -> dict[str, Any]:
    n = len(codes)
    pending = int(
        sql(url, f"SELECT count(*) FROM outbox WHERE {MINE} AND status = 'pending'", (first_id,))[
            0
        ][0]
    )
    others = int(
        sql(
            url, f"SELECT count(*) FROM outbox WHERE id > %s AND NOT ({MINE})", (first_id, first_id)
        )[0][0]
    )
    if pending != n:
        raise BenchError(f"backlog: {pending} rows queued, wanted {n}")
    spec = simulator_spec(f"weimall-sim-{workers}", sim_port)
    with servers([spec], env, work) as (simulator,):
        register_codes(sim, codes)
        if latency_ms:
            httpx.post(
                f"{sim}/_sim/latency", json={"path": REDEEMED, "ms": latency_ms}
            ).raise_for_status()
        poll = Poll(
            url,
            f"SELECT count(*) FROM outbox WHERE {MINE} AND status <> 'pending'"
            " AND status <> 'inflight'".replace("%s", str(first_id)),
        )
        watch = {"simulator": simulator.pid}
        postmaster = procs.postmaster(db_port)
        trees = {**watch, **({"database": postmaster} if postmaster else {})}
        before = {name: procs.cpu_of(procs.tree(pid)) for name, pid in trees.items()}
        logs = [(work / f"worker-{workers}-{i}.log").open("wb") for i in range(workers)]
        started = time.perf_counter()
        running = [
            subprocess.Popen(
                [VB, "worker", "--poll", "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            for log in logs
        ]
        try:
            cpu_workers = 0.0
            seen, moved, last = 0, time.perf_counter(), -1
            while seen < n:
                if any(p.poll() is not None for p in running):
                    raise BenchError(f"a worker exited; see {work}/worker-{workers}-*.log")
                seen = poll()
                if seen != last:
                    last, moved = seen, time.perf_counter()
                    cpu_workers = sum(
                        sum(procs.cpu_of(procs.tree(p.pid)).values()) for p in running
                    )
                elif time.perf_counter() - moved > 60:
                    raise BenchError(f"backlog: stuck at {seen} of {n} delivered")
                time.sleep(0.1)
            wall = time.perf_counter() - started
        finally:
            for proc in running:
                proc.send_signal(signal.SIGTERM)
            for proc in running:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for log in logs:
                log.close()
            poll.close()
        cpu = {
            name: procs.cpu_used(before[name], procs.cpu_of(procs.tree(pid)))
            for name, pid in trees.items()
        }
        cpu["workers"] = cpu_workers
        used, twice = used_at_mall(sim)
    statuses = dict(
        sql(url, f"SELECT status, count(*) FROM outbox WHERE {MINE} GROUP BY status", (first_id,))
    )
    if used != n or twice or statuses != {"delivered": n}:
        raise BenchError(
            f"backlog: {used} codes used at the mall ({twice} twice), "
            f"outbox {statuses}; wanted exactly {n} deliveries"
        )
    first, last_at = sql(
        url, f"SELECT min(delivered_at), max(delivered_at) FROM outbox WHERE {MINE}", (first_id,)
    )[0]
    span = (last_at - first).total_seconds()
    return {
        "workers": workers,
        "latency_ms": latency_ms,
        "delivered": n,
        "arrived_at_simulator": used,
        "other_rows": others,
        "wall_s": wall,
        "span_s": span,
        "rps": (n - 1) / span if span > 0 else 0.0,
        "cpu_s": cpu,
        "cpu_ms_per_delivery": {k: v * 1000 / n for k, v in cpu.items()},
    }


def report(backend: str, r: dict[str, Any]) -> None:
    print(
        f"[{backend}] sync backlog: {r['deliveries']} queued redemptions per drain, "
        f"micro-mall simulator down while queued"
    )
    for d in r["drains"].values():
        cpu = d["cpu_ms_per_delivery"]
        print(
            f"  {d['workers']} worker(s), platform call +{d['latency_ms']} ms:"
            f" {d['rps']:.0f} deliveries/s ({d['span_s']:.1f} s first to last"
            f" delivery, {d['wall_s']:.1f} s from start), {d['arrived_at_simulator']} arrived;"
            f" cpu ms/delivery workers {cpu['workers']:.2f} simulator {cpu['simulator']:.2f}"
            f" db {cpu.get('database', 0.0):.2f}; queued in {d['queue_s']:.1f} s"
            f"{'; other rows: ' + str(d['other_rows']) if d['other_rows'] else ''}"
        )
    for latency, value in r["ratios"].items():
        print(
            f"  {WORKERS[-1]} workers / 1, platform call +{latency}: {value:.2f}x (goal >= {GOAL}x)"
        )
