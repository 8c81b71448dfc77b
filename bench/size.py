"""Size: redeem and prepare latency at a fixed moderate rate with few codes, then with many.

One service and one database: 10,000 codes issued through the admin API (and the orders opened
through the Terminal API), prepare and redeem measured; then the codes table is filled up to
2,000,000 codes with bulk-loaded fixture rows (driver level: `executemany` on SQLite, COPY on
PostgreSQL, then ANALYZE there; code orders of 1,000 codes under the same listing, status
issued; a benchmark's fixture, not a scenario), and the same measured again on fresh codes
issued before the load. Latency ratio big/small (goal <= 1.2x).

Fixed rate: Debian's wrk has no -R, so each of 4 connections pauses VB_BENCH_DELAY_MS before
each request (bench/bodies.lua): about RATE requests a second in all, well below saturation.
wrk measures each request from its send, not from the pause.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import procs
from bench.harness import (
    CASH_LISTING,
    free_port,
    migrate_and_seed,
    servers,
    service_env,
    service_spec,
    setup,
    sql,
    write_bodies,
)
from bench.harness import wrk as run_wrk

ISSUE_SIZE = 2_000_000  # codes at the large size (issue #20); the small size is 10,000
SMALL = 10_000
DEFAULT_SCALE = 0.25
RATE, CONNECTIONS, SECONDS = 40, 4, 10.0
PER_PHASE = 600  # codes (and orders) each phase may redeem: > RATE * SECONDS
GOAL = 1.2
FMT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy keeps a UTC datetime in SQLite


def run(backend: str, new_db: Callable[[str], str], work: Path, scale: float) -> dict[str, Any]:
    big = max(SMALL * 2, round(ISSUE_SIZE * scale))
    processes = 1 if backend == "sqlite" else 2
    url = new_db("vb_size")
    env = service_env(url)
    demo = migrate_and_seed(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    terminal = {"Authorization": f"Bearer {demo['terminal_key']}"}
    with servers([service_spec(port, processes)], env, work):
        began = time.perf_counter()
        codes, orders = setup(base, demo, work, SMALL, 2 * PER_PHASE + 50)
        print(
            f"  setup: {len(codes)} codes, {len(orders)} orders in "
            f"{time.perf_counter() - began:.1f} s",
            flush=True,
        )
        pairs = list(zip(codes, orders, strict=False))
        warm, small_pairs, big_pairs = (
            pairs[:50],
            pairs[50 : 50 + PER_PHASE],
            pairs[50 + PER_PHASE :],
        )
        big_pairs = big_pairs[:PER_PHASE]
        prepare_url, redeem_url = f"{base}/api/v1/vouchers/prepare", f"{base}/api/v1/redemptions"
        warm_bodies = write_bodies(work / "size-warm.tsv", warm, "sw")
        run_wrk(prepare_url, warm_bodies, seconds=2, mode="cycle", expect=200, headers=terminal)
        run_wrk(redeem_url, warm_bodies, seconds=2, mode="once", expect=201, headers=terminal)
        phases: dict[str, Any] = {}
        for name, chosen in (("small", small_pairs), ("big", big_pairs)):
            if name == "big":
                began = time.perf_counter()
                loaded = bulk_load(url, big - count_codes(url))
                print(
                    f"  bulk load: {loaded} fixture codes in {time.perf_counter() - began:.1f} s",
                    flush=True,
                )
            total = count_codes(url)
            bodies = write_bodies(work / f"size-{name}.tsv", chosen, f"s{name}")
            delay = round(CONNECTIONS * 1000 / RATE)
            paced = {
                "seconds": SECONDS,
                "headers": terminal,
                "delay_ms": delay,
                "connections": CONNECTIONS,
            }
            phases[name] = {
                "codes": total,
                "prepare": run_wrk(prepare_url, bodies, mode="cycle", expect=200, **paced),
                "redeem": run_wrk(redeem_url, bodies, mode="once", expect=201, **paced),
            }
    ratios = {
        f"{target}_{q}": phases["big"][target][f"{q}_ms"] / phases["small"][target][f"{q}_ms"]
        for target in ("prepare", "redeem")
        for q in ("p50", "p99")
    }
    return {"processes": processes, "phases": phases, "ratios": ratios}


def count_codes(url: str) -> int:
    return int(sql(url, "SELECT count(*) FROM codes")[0][0])


def bulk_load(url: str, n: int) -> int:
    """`n` more codes under the cash listing, 1,000 to a code order, straight into the tables."""
    if n <= 0:
        return 0
    listing_id, merchant_id, template_id = sql(
        url, "SELECT id, merchant_id, template_id FROM listings WHERE title = %s", (CASH_LISTING,)
    )[0]
    taken = {row[0] for row in sql(url, "SELECT code FROM codes")}
    rng = random.Random(2_000_000)
    values: list[str] = []
    while len(values) < n:
        code = f"J{rng.randrange(10**14):014d}"
        if code not in taken:
            taken.add(code)
            values.append(code)
    now = datetime.now(UTC)
    valid_from, valid_until = now - timedelta(days=1), now + timedelta(days=30)
    order_rows = [
        (merchant_id, listing_id, f"SIZE{k:07d}", min(1000, n - k * 1000))
        for k in range((n + 999) // 1000)
    ]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=60)
        at = now.replace(tzinfo=None).strftime(FMT)
        frm, until = (t.replace(tzinfo=None).strftime(FMT) for t in (valid_from, valid_until))
        with conn:
            first = conn.execute("SELECT coalesce(max(id), 0) FROM code_orders").fetchone()[0] + 1
            conn.executemany(
                "INSERT INTO code_orders (merchant_id, listing_id, platform, platform_order_id,"
                " quantity, created_at) VALUES (?, ?, 'weimall', ?, ?, ?)",
                [(*row, at) for row in order_rows],
            )
            conn.executemany(
                "INSERT INTO codes (merchant_id, code, listing_id, template_id, code_order_id,"
                " platform, status, version, valid_from, valid_until, issued_at)"
                " VALUES (?, ?, ?, ?, ?, 'weimall', 'issued', 1, ?, ?, ?)",
                (
                    (merchant_id, code, listing_id, template_id, first + i // 1000, frm, until, at)
                    for i, code in enumerate(values)
                ),
            )
        conn.close()
        return n
    conn = procs._connect(url)
    with conn.cursor() as cur:
        first = None
        for row in order_rows:
            oid = cur.execute(
                "INSERT INTO code_orders (merchant_id, listing_id, platform, platform_order_id,"
                " quantity, created_at) VALUES (%s, %s, 'weimall', %s, %s, %s) RETURNING id",
                (*row, now),
            ).fetchone()[0]
            first = oid if first is None else first
        with cur.copy(
            "COPY codes (merchant_id, code, listing_id, template_id, code_order_id, platform,"
            " status, version, valid_from, valid_until, issued_at) FROM STDIN"
        ) as copy:
            for i, code in enumerate(values):
                copy.write_row(
                    (
                        merchant_id,
                        code,
                        listing_id,
                        template_id,
                        first + i // 1000,
                        "weimall",
                        "issued",
                        1,
                        valid_from,
                        valid_until,
                        now,
                    )
                )
    conn.commit()
    conn.autocommit = True
    conn.execute("ANALYZE codes")
    conn.execute("ANALYZE code_orders")
    conn.close()
    return n


def report(backend: str, r: dict[str, Any]) -> None:
    small, big = r["phases"]["small"], r["phases"]["big"]
    print(
        f"[{backend}] size: {r['processes']} API process(es), about {RATE} req/s from "
        f"{CONNECTIONS} connections, {SECONDS:.0f} s per target"
    )
    print(
        f"  {'target':<9}{'codes':>10}{'requests':>9}{'bad':>5}{'req/s':>7}{'p50 ms':>8}"
        f"{'p99 ms':>8}"
    )
    for phase in (small, big):
        for target in ("prepare", "redeem"):
            x = phase[target]
            print(
                f"  {target:<9}{phase['codes']:>10}{x['requests']:>9}"
                f"{x['bad'] + x['socket_errors']:>5}{x['rps']:>7.0f}{x['p50_ms']:>8.1f}"
                f"{x['p99_ms']:>8.1f}"
            )
    q = r["ratios"]
    print(
        f"  big/small: prepare p50 {q['prepare_p50']:.2f}x p99 {q['prepare_p99']:.2f}x, redeem"
        f" p50 {q['redeem_p50']:.2f}x p99 {q['redeem_p99']:.2f}x (goal <= {GOAL}x)"
    )
