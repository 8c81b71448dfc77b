#!/usr/bin/env python3
"""bench/reports.py [--quick]: the reports and the archive on a big SQLite file, each next to the
plain SQL query that computes the same thing, timed in the same run.

It builds one merchant with 1,000,000 codes and 300,000 redemptions (10% of them reversed)
spread over 90 days, 4 stores open 10:00-22:00 and 8 listings (`--quick` or `--scale 0.1`:
100,000 and 30,000), with the audit rows the tills write (each use and reversal; every 50th code
tried again at the next store, every 1000th use in a 反结账 the platform half refused, a
reconciliation out of step every 9th day) with bulk executemany: a benchmark's fixture, not a
scenario (the tests build theirs through the API).
Then it times each, the fastest of several runs after a warm-up (ours and the plain query
in alternation, so that load from other processes hits both alike):

- each report through reports/ (what the admin API, the CLI and the console call) and the same
  aggregate as one hand-written SQL statement: the ratio is our overhead (goal <= 1.5x);
- the dashboard (three windows, the 30-day line, per store, the alerts of every rule over the
  fixture's audit rows) against the hand-written statements of the same figures, the alerts as
  one SQL query (the bench fails if its counts differ from the dashboard's);
- an archive page (50 codes with their history) at the top, in the middle and at the very
  bottom of the million, through reports.archive.codes_page against the hand-written keyset
  SELECT of the same rows with the names the page shows, and their events with their stores'
  (goals: < 50 ms at any depth; <= 1.5x); the first page also against the bare rows and events
  without names ("bare:", the comparison before 2026-12-02; not in the headline).

The last line is its headline (bench/run prints it before its own):
    reports headline: reports/plain worst=<ratio> archive/plain worst=<ratio> archive_deep_ms=<ms>
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".venv"
if (VENV / "bin" / "python").exists() and Path(sys.prefix).resolve() != VENV.resolve():
    python = str(VENV / "bin" / "python")
    os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])

from sqlalchemy import text  # noqa: E402  (after the re-exec into the project's venv)

from voucherbridge.bootstrap import build  # noqa: E402
from voucherbridge.config import Settings  # noqa: E402
from voucherbridge.core.actor import Actor  # noqa: E402
from voucherbridge.db.migrate import upgrade  # noqa: E402
from voucherbridge.reports import Period  # noqa: E402
from voucherbridge.reports.archive import CodeFilter, codes_page  # noqa: E402
from voucherbridge.reports.dashboard import dashboard  # noqa: E402
from voucherbridge.reports.paging import encode_cursor  # noqa: E402
from voucherbridge.reports.redemptions import redemptions_report  # noqa: E402
from voucherbridge.reports.sales import sales_report  # noqa: E402

TODAY = date(2026, 11, 30)  # the last day of the data, in Shanghai
ZONE_SHIFT = "+28800 seconds"  # Asia/Shanghai, as the plain SQL buckets days
DAYS = 90
STORES, LISTINGS, TERMINALS_PER_STORE = 4, 8, 2
PLATFORMS = ("weimall", "douyin", "meituan")
PAGE = 50
GOAL_RATIO, GOAL_PAGE_MS = 1.5, 50.0
FMT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy keeps a UTC datetime in SQLite


def ts(moment: datetime) -> str:
    """A UTC time as SQLAlchemy keeps it in SQLite; naive values are UTC already (whole
    seconds: the fixture's times are, and isoformat is many times faster than strftime)."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None).strftime(FMT)
    return moment.isoformat(" ") + ".000000"


def _audit(
    terminal: int, store: int, action: str, at: datetime, code_id: int, ref: int
) -> tuple[Any, ...]:
    """An audit row as the till writes it (the chain's hashes left empty: nothing verifies)."""
    after = f'{{"code_id": {code_id}, "order_id": {ref}}}'
    kind = "system" if action == "reconciliation.mismatch" else "terminal"
    return (kind, str(terminal), action, f"R{ref:012d}", after, ts(at), store)


def build_data(path: Path, n_codes: int, n_redemptions: int) -> None:
    """Migrate, then bulk-insert the merchant, its dimensions, codes, orders and redemptions."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = random.Random(16)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC).replace(tzinfo=None)
    start = midnight - timedelta(days=DAYS - 1)  # naive UTC: fast to format (see `ts`)
    made = ts(start)
    db.execute(
        "INSERT INTO merchants (id, name, timezone, created_at, active)"
        " VALUES (1, '基准火锅', 'Asia/Shanghai', ?, 1)",
        (made,),
    )
    db.executemany(
        "INSERT INTO stores (id, merchant_id, name, brand, address, active, created_at,"
        " opening_hours) VALUES (?, 1, ?, '', '', 1, ?, '10:00-22:00')",
        [(s, f"门店{s}", made) for s in range(1, STORES + 1)],
    )
    terminals = [(s - 1) * TERMINALS_PER_STORE + k for s in range(1, STORES + 1) for k in (1, 2)]
    db.executemany(
        "INSERT INTO terminals (id, merchant_id, store_id, name, key_prefix, key_hash, created_at)"
        " VALUES (?, 1, ?, ?, 'k', ?, ?)",
        [
            (tid, (tid - 1) // TERMINALS_PER_STORE + 1, f"收银{tid}", f"h{tid}", made)
            for tid in terminals
        ],
    )
    db.executemany(
        "INSERT INTO voucher_templates (id, merchant_id, kind, name, face_value_fen, price_fen,"
        " package_price_fen, item_codes, min_spend_fen, store_ids, validity_mode, valid_days,"
        " weekdays, time_windows, per_order_limit, stackable, active, created_at, updated_at)"
        " VALUES (?, 1, 'cash', ?, ?, ?, 0, '[]', 0, '[]', 'relative', 30, '[]', '[]', 1, 1, 1,"
        " ?, ?)",
        [(i, f"代金券{i}", 5000 * i, 3000 * i, made, made) for i in range(1, LISTINGS + 1)],
    )
    db.executemany(
        "INSERT INTO listings (id, merchant_id, public_id, template_id, platform, code_type,"
        " title, active, created_at) VALUES (?, 1, ?, ?, ?, 'merchant', ?, 1, ?)",
        [(i, f"L{i:08d}", i, PLATFORMS[i % 3], f"商品{i}", made) for i in range(1, LISTINGS + 1)],
    )
    span = DAYS * 86400
    orders, codes = [], []
    for i in range(1, n_codes + 1):
        listing = i % LISTINGS + 1
        if i % 5 == 1:
            orders.append((i // 5 + 1, listing, PLATFORMS[listing % 3], f"PO{i}", 5, made))
        issued = start + timedelta(seconds=span * (i - 1) // n_codes)
        codes.append(
            [
                i,
                f"J{i:014d}",
                listing,
                listing,
                i // 5 + 1,
                PLATFORMS[listing % 3],
                "voided" if i % 37 == 0 else "issued",
                ts(issued),
                ts(issued + timedelta(days=30)),
                ts(issued),
                None,
                issued,
            ]
        )
    db.executemany(
        "INSERT INTO code_orders (id, merchant_id, listing_id, platform, platform_order_id,"
        " quantity, created_at) VALUES (?, 1, ?, ?, ?, ?, ?)",
        orders,
    )
    used = sorted(rng.sample(range(n_codes), n_redemptions))
    tills, redemptions, events, audit = [], [], [], []
    for rid, index in enumerate(used, start=1):
        code = codes[index]
        issued: datetime = code[11]
        at = min(
            issued + timedelta(minutes=rng.randint(10, 3 * 1440)),
            start + timedelta(days=DAYS) - timedelta(minutes=5),
        )
        terminal = terminals[rng.randrange(len(terminals))]
        store = (terminal - 1) // TERMINALS_PER_STORE + 1
        back = rid % 10 == 0
        tills.append((rid, store, terminal, f"O{rid}", ts(at)))
        redemptions.append(
            (
                rid,
                f"R{rid:012d}",
                store,
                terminal,
                rid,
                code[0],
                code[1],
                code[5],
                code[3],
                code[3] * 5000,
                "reversed" if back else "active",
                ts(at),
                ts(at + timedelta(minutes=10)),
                ts(at + timedelta(minutes=5)) if back else None,
            )
        )
        events.append((code[0], "redeemed", ts(at), store, rid, rid))
        audit.append(_audit(terminal, store, "redemption.redeem", at, code[0], rid))
        if rid % 50 == 0:  # the code tried again at the next store an hour later
            other = store % STORES + 1
            tried = at + timedelta(hours=1)
            audit.append(_audit(terminal, other, "voucher.attempt_rejected", tried, code[0], rid))
        if rid % 1000 == 0:  # a 反结账 half refused by the platform, never finished
            audit.append(_audit(terminal, store, "order.reopen_partial", at, code[0], rid))
        if back:
            events.append((code[0], "reversed", ts(at + timedelta(minutes=5)), store, rid, rid))
            reversed_at = at + timedelta(minutes=5)
            audit.append(_audit(terminal, store, "redemption.reverse", reversed_at, code[0], rid))
        else:
            code[6], code[10] = "redeemed", ts(at)
    db.executemany(
        "INSERT INTO codes (id, merchant_id, code, listing_id, template_id, code_order_id,"
        " platform, status, version, valid_from, valid_until, issued_at, redeemed_at)"
        " VALUES (?, 1, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        (c[:11] for c in codes),
    )
    db.executemany(
        "INSERT INTO code_events (merchant_id, code_id, event, at, actor, detail)"
        " VALUES (1, ?, 'issued', ?, 'bench', '{}')",
        ((c[0], c[9]) for c in codes),
    )
    db.executemany(
        "INSERT INTO orders (id, merchant_id, store_id, terminal_id, order_no, table_no, guests,"
        " service_fee_fen, total_fen, status, version, opened_at, cashier, change_fen,"
        " print_count) VALUES (?, 1, ?, ?, ?, '', 2, 0, 20000, 'closed', 1, ?, '', 0, 0)",
        tills,
    )
    db.executemany(
        "INSERT INTO redemptions (id, merchant_id, public_id, store_id, terminal_id, order_id,"
        " code_id, code, platform, template_id, kind, name, stackable, discount_fen, allocations,"
        " status, redeemed_at, reversible_until, reversed_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?,"
        " ?, 'cash', '代金券', 1, ?, '{}', ?, ?, ?, ?)",
        redemptions,
    )
    db.executemany(
        "INSERT INTO code_events (merchant_id, code_id, event, at, store_id, order_id,"
        " redemption_id, actor, detail) VALUES (1, ?, ?, ?, ?, ?, ?, 'bench', '{}')",
        events,
    )
    for day in range(DAYS):  # a nightly reconciliation of store 1 out of step every 9th day
        if day % 9 == 0:
            night = start + timedelta(days=day, hours=20)
            audit.append(_audit(0, 1, "reconciliation.mismatch", night, 0, day))
    db.executemany(
        "INSERT INTO audit_log (merchant_id, actor_type, actor_id, action, subject, after, at,"
        " store_id, seq, prev_hash, row_hash, lane) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 0)",
        ((*row, seq) for seq, row in enumerate(sorted(audit, key=lambda r: r[5]), start=1)),
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _once(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def timed(fn: Callable[[], Any], runs: int) -> float:
    """The fastest of `runs` calls after a warm-up, in ms: on a shared machine the minimum is
    the cost of the work itself, the rest is other processes' noise."""
    fn()
    return min(_once(fn) for _ in range(runs))


def paired(ours: Callable[[], Any], plain: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Both timed in alternation (a burst of load hits both alike), fastest of each."""
    ours()
    plain()
    samples = [(_once(ours), _once(plain)) for _ in range(runs)]
    return min(a for a, _ in samples), min(b for _, b in samples)


def bounds(first: date, last: date) -> dict[str, str]:
    shift = timedelta(hours=8)
    lo = datetime(first.year, first.month, first.day, tzinfo=UTC) - shift
    hi = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1) - shift
    return {"lo": ts(lo), "hi": ts(hi)}


PLAIN_SALES = """
SELECT c.platform, c.listing_id, count(*), sum(t.price_fen), sum(t.face_value_fen),
       sum(CASE WHEN c.status = 'voided' THEN 1 ELSE 0 END),
       sum(CASE WHEN c.status = 'issued' AND c.valid_until > :now THEN 1 ELSE 0 END),
       sum(CASE WHEN c.status = 'issued' AND c.valid_until > :now AND c.valid_until <= :soon
           THEN 1 ELSE 0 END)
FROM codes c JOIN voucher_templates t ON t.id = c.template_id
WHERE c.merchant_id = 1 AND c.issued_at >= :lo AND c.issued_at < :hi
GROUP BY c.platform, c.listing_id
"""
PLAIN_USES = f"""
SELECT r.store_id, date(r.{{at}}, '{ZONE_SHIFT}') AS day, count(*), sum(r.discount_fen)
FROM redemptions r
WHERE r.merchant_id = 1 AND r.{{at}} >= :lo AND r.{{at}} < :hi
GROUP BY r.store_id, day
"""
# An archive page by hand: the rows with what the page shows of them (the listing's title, the
# store of the standing redemption and its name, the merchant's zone), then their events with
# their stores' names, as raw text (the plain side formats nothing).
PLAIN_PAGE = """
SELECT c.id, c.code, c.status, c.platform, c.listing_id, c.issued_at, c.valid_until,
  c.redeemed_at, l.title, s.id, s.name, (SELECT timezone FROM merchants WHERE id = 1)
FROM codes c
LEFT JOIN listings l ON l.id = c.listing_id
LEFT JOIN stores s ON s.id = (SELECT r.store_id FROM redemptions r WHERE r.merchant_id = 1
  AND r.code_id = c.id AND r.status = 'active' ORDER BY r.id DESC LIMIT 1)
WHERE c.merchant_id = 1 AND c.id < :after ORDER BY c.id DESC LIMIT :n
"""
PLAIN_EVENTS = (
    "SELECT e.code_id, e.event, e.at, s.name FROM code_events e"
    " LEFT JOIN stores s ON s.id = e.store_id WHERE e.merchant_id = 1"
)
# The bare keyset rows and events (no names): the page's comparison until 2026-12-02, printed
# beside the headline so the two can be compared across runs.
BARE_PAGE = """
SELECT id, code, status, platform, listing_id, issued_at, valid_until, redeemed_at
FROM codes WHERE merchant_id = 1 AND id < :after ORDER BY id DESC LIMIT :n
"""
BARE_EVENTS = "SELECT code_id, event, at, store_id FROM code_events WHERE merchant_id = 1"


PLAIN_BY = """
SELECT {keys}, count(*), sum(discount_fen) FROM redemptions
WHERE merchant_id = 1 AND {at} >= :lo AND {at} < :hi GROUP BY {keys}
"""
PLAIN_SOLD = (
    "SELECT count(*) FROM codes WHERE merchant_id = 1 AND issued_at >= :lo AND issued_at < :hi"
)
PLAIN_FAILED = """
SELECT count(*) FROM outbox WHERE merchant_id = 1 AND created_at >= :lo AND created_at < :hi
AND (status = 'dead' OR (status = 'pending' AND last_error IS NOT NULL))
"""
# The five alert rules of domain/alerts.py by hand (every store 10:00-22:00, Shanghai, 5
# reversals in 24 h), counted per window: what reports/alerts_repository.py composes.
LOCAL = "strftime('%H:%M:%S', substr(at, 1, 19), '+28800 seconds')"
MICROS = (
    "CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(at, 21, 6) AS INTEGER)"
)
PLAIN_ALERTS = f"""
WITH rev AS (SELECT actor_type, actor_id, at, {MICROS} AS t FROM audit_log
  WHERE merchant_id = 1 AND at >= :since AND action = 'redemption.reverse'),
ends AS (SELECT actor_type, actor_id, at, t, count(*) OVER (PARTITION BY actor_type, actor_id
  ORDER BY t RANGE BETWEEN 86400000000 PRECEDING AND CURRENT ROW) AS n FROM rev),
best AS (SELECT at, n, row_number() OVER (PARTITION BY actor_type, actor_id ORDER BY n DESC, t)
  AS k FROM ends),
alerts AS (
  SELECT max(at) AS at FROM audit_log WHERE merchant_id = 1 AND at >= :since
    AND action IN ('redemption.redeem', 'voucher.attempt_rejected')
    AND json_extract(after, '$.code_id') IS NOT NULL AND store_id IS NOT NULL AND store_id <> 0
    GROUP BY json_extract(after, '$.code_id') HAVING count(DISTINCT store_id) >= 2
  UNION ALL SELECT at FROM best WHERE k = 1 AND n >= 5
  UNION ALL SELECT at FROM audit_log WHERE merchant_id = 1 AND at >= :since
    AND action = 'redemption.redeem' AND store_id IS NOT NULL
    AND NOT ({LOCAL} >= '10:00:00' AND {LOCAL} < '22:00:00')
  UNION ALL SELECT p.at FROM audit_log p LEFT JOIN (SELECT json_extract(after, '$.order_id') AS o,
      max(at) AS at FROM audit_log WHERE merchant_id = 1 AND at >= :since
      AND action = 'order.reopen' GROUP BY o) r ON r.o = json_extract(p.after, '$.order_id')
    WHERE p.merchant_id = 1 AND p.at >= :since AND p.action = 'order.reopen_partial'
    AND (r.at IS NULL OR r.at < p.at)
  UNION ALL SELECT at FROM audit_log WHERE merchant_id = 1 AND at >= :since
    AND action = 'reconciliation.mismatch')
SELECT sum(at >= :d1 AND at < :hi), sum(at >= :d7 AND at < :hi), sum(at >= :d30 AND at < :hi)
FROM alerts
"""


def measure(path: Path, runs: int, n_codes: int) -> list[tuple[str, float, float | None]]:
    container = build(
        Settings(database_url=f"sqlite:///{path}", environment="test", log_level="WARNING")
    )
    hq = Actor.operator(1)
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    month = Period(TODAY - timedelta(days=29), TODAY)
    quarter = Period(TODAY - timedelta(days=DAYS - 1), TODAY)
    engine = container.engine

    def plain(sql: str, **params: Any) -> Callable[[], Any]:
        def run() -> Any:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).all()

        return run

    def plain_uses(period: Period) -> Callable[[], Any]:
        def run() -> Any:
            with engine.connect() as conn:
                b = bounds(period.start, period.end)
                conn.execute(text(PLAIN_USES.format(at="redeemed_at")), b).all()
                return conn.execute(text(PLAIN_USES.format(at="reversed_at")), b).all()

        return run

    def plain_page(after: int, bare: bool = False) -> Callable[[], Any]:
        rows_sql, events_sql = (BARE_PAGE, BARE_EVENTS) if bare else (PLAIN_PAGE, PLAIN_EVENTS)
        of = "code_id" if bare else "e.code_id"

        def run() -> Any:
            with engine.connect() as conn:
                rows = conn.execute(text(rows_sql), {"after": after, "n": PAGE + 1}).all()
                ids = ",".join(str(r[0]) for r in rows[:PAGE]) or "0"
                return conn.execute(text(f"{events_sql} AND {of} IN ({ids})")).all()

        return run

    def page(after: int | None, **filters: Any) -> Callable[[], Any]:
        cursor = encode_cursor(after) if after else None
        return lambda: codes_page(
            container.uow(), actor=hq, filters=CodeFilter(**filters), cursor=cursor, limit=PAGE
        )

    def plain_board() -> Any:
        """The dashboard's figures as the hand-written statements that compute them."""
        with engine.connect() as conn:
            for days in (1, 7, 30):
                b = bounds(TODAY - timedelta(days=days - 1), TODAY)
                for at in ("redeemed_at", "reversed_at"):
                    conn.execute(text(PLAIN_BY.format(keys="store_id, platform", at=at)), b).all()
                conn.execute(text(PLAIN_SOLD), b).scalar()
                conn.execute(text(PLAIN_FAILED), b).scalar()
            b = bounds(TODAY - timedelta(days=29), TODAY)
            day = f"date({{at}}, '{ZONE_SHIFT}')"
            for at in ("redeemed_at", "reversed_at"):
                conn.execute(text(PLAIN_BY.format(keys=day.format(at=at), at=at)), b).all()
                conn.execute(text(PLAIN_BY.format(keys="store_id", at=at)), b).all()
            return plain_alerts(conn)

    def plain_alerts(conn: Any) -> tuple[int, ...]:
        starts = {f"d{d}": bounds(TODAY - timedelta(days=d - 1), TODAY)["lo"] for d in (1, 7, 30)}
        found = {**starts, "since": starts["d30"], "hi": bounds(TODAY, TODAY)["hi"]}
        return tuple(int(n or 0) for n in conn.execute(text(PLAIN_ALERTS), found).one())

    board = dashboard(container.uow(), actor=hq, today=TODAY)
    counted = tuple(w.alerts for w in board.windows)
    with engine.connect() as conn:
        by_hand = plain_alerts(conn)
    print(f"dashboard alerts (today, 7 d, 30 d): {counted}, by hand {by_hand}")
    if counted != by_hand:
        raise SystemExit("the dashboard's alert counts are not those of the plain query")

    soon = {"now": ts(now), "soon": ts(now + timedelta(days=7))}
    results: list[tuple[str, float, float | None]] = []
    for name, period in (
        ("sales 30d platform,listing", month),
        ("sales 90d platform,listing", quarter),
    ):
        ours, theirs = paired(
            lambda p=period: sales_report(
                container.uow(), actor=hq, period=p, group_by=["platform", "listing"], now=now
            ),
            plain(PLAIN_SALES, **bounds(period.start, period.end), **soon),
            runs,
        )
        results.append((name, ours, theirs))
    for name, period in (
        ("redemptions 30d store,day", month),
        ("redemptions 90d store,day", quarter),
    ):
        ours, theirs = paired(
            lambda p=period: redemptions_report(
                container.uow(), actor=hq, period=p, group_by=["store", "day"]
            ),
            plain_uses(period),
            runs,
        )
        results.append((name, ours, theirs))
    results.append(
        (
            "dashboard (3 windows, line, alerts)",
            *paired(lambda: dashboard(container.uow(), actor=hq, today=TODAY), plain_board, runs),
        )
    )
    for name, after in (
        ("archive page 1", None),
        ("archive page mid", n_codes // 2),
        ("archive page deepest", PAGE + 1),
    ):
        results.append((name, *paired(page(after), plain_page(after or n_codes + 1), runs)))
    results.append(
        ("archive deep, status=redeemed", timed(page(n_codes // 10, status="redeemed"), runs), None)
    )
    results.append(
        ("bare: archive page 1", *paired(page(None), plain_page(n_codes + 1, True), runs))
    )
    container.engine.dispose()
    return results


def report(results: list[tuple[str, float, float | None]]) -> int:
    print(f"{'query':<36}{'ours ms':>10}{'plain ms':>10}{'ratio':>8}")
    worst, page_worst = 0.0, 0.0
    for name, ours, theirs in results:
        ratio = ours / theirs if theirs else None
        if ratio is None or name.startswith("bare"):
            pass
        elif not name.startswith("archive"):
            worst = max(worst, ratio)
        else:
            page_worst = max(page_worst, ratio)
        shown = f"{ratio:>8.2f}" if ratio is not None else f"{'':>8}"
        print(
            f"{name:<36}{ours:>10.2f}{theirs if theirs is not None else float('nan'):>10.2f}{shown}"
        )
    deep = max(ours for name, ours, _ in results if name.startswith("archive"))
    print(
        f"goals: reports/plain <= {GOAL_RATIO}x, archive page < {GOAL_PAGE_MS:.0f} ms at any depth"
    )
    print(
        f"reports headline: reports/plain worst={worst:.2f} archive/plain worst={page_worst:.2f}"
        f" archive_deep_ms={deep:.1f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 codes, 30,000 redemptions")
    parser.add_argument("--codes", type=int, help="codes to build (default 1,000,000)")
    parser.add_argument(
        "--scale", type=float, help="the issue's 1,000,000 codes times this (0.1 = --quick)"
    )
    args = parser.parse_args()
    scaled = int(1_000_000 * args.scale) if args.scale else None
    n_codes = args.codes or scaled or (100_000 if args.quick else 1_000_000)
    n_redemptions = n_codes * 3 // 10
    with tempfile.TemporaryDirectory(prefix="vb-bench-reports-") as work:
        path = Path(work) / "reports.db"
        started = time.perf_counter()
        build_data(path, n_codes, n_redemptions)
        print(
            f"setup: {n_codes} codes, {n_redemptions} redemptions in "
            f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
        )
        results = measure(path, 5 if args.quick else 7, n_codes)
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
