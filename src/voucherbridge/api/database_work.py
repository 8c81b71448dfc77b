"""Where a route's database work runs: on the event loop when that cannot block it, else on a
thread.

A sync route runs on Starlette's pool of 40 threads, after a hop per sync dependency. The scan
routes (prepare, redeem) are async and hand their whole work (the terminal-key check and the
use case) to one thread of a small pool of their own (scans of our own codes; a platform code's
scan waits on the platform, so it keeps the ordinary pool): more threads than that only queue
on the database (SQLite has one writer) and on the GIL (issue #20).

On SQLite, work that talks to our database only (a scan of our own code, a platform's push) is
a millisecond or two that never waits on a network, and handing it to a thread cost more than
its own statements: the loop and the thread took the GIL from each other at every SQLite call
(measured: 0.5 ms of CPU per redeem, 20-25% of it), and a flash sale's pushes queued 40 threads
on the one writer. So it runs on the loop itself, as long as it would not wait there: it gets
a `NotWaiting` factory, whose first write unit of work raises `WriterBusy` instead of waiting
when another writer (a console action, another process) holds the database. Nothing has been
written then, so the work starts again on a thread, where it waits its turn without holding
up the loop. A later write of the same work (a guessed code noted after a refused scan) may
still wait on the loop for a writer that took the lock in between: rare, and short.
The loop's units of work share one kept connection (`KeptConnection`) instead of checking one
out of the pool each.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy import Engine

from voucherbridge.db.uow import KeptConnection, UnitOfWorkFactory, WriterBusy

T = TypeVar("T")
Work = Callable[[UnitOfWorkFactory], T]
# Threads per process for scans of our own codes that could not run on the loop: SQLite has one
# writer, so two threads keep it busy; PostgreSQL's waits release the GIL.
SCAN_THREADS = {"sqlite": 2, "postgresql": 8}
# One limiter per event loop and size (a test client runs a loop of its own), made on first use.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)
# The connection each event loop's SQLite work uses, one per engine; it goes with its loop.
_kept: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Engine, KeptConnection]] = (
    weakref.WeakKeyDictionary()
)


async def run_scan(work: Work[T], make_uow: UnitOfWorkFactory, *, local: bool) -> T:
    """`work(factory)` for a scan, and what it returns (or raises). `local`: a scan of one of
    our codes (as `run_database_work`, its threads a small pool of their own); a platform
    code's scan waits on its platform's API, so it runs on the ordinary pool, where it cannot
    hold up the tills' local scans."""
    if not local:
        return await anyio.to_thread.run_sync(work, make_uow)
    return await run_database_work(work, make_uow, limiter=_scan_limiter(make_uow))


async def run_database_work(
    work: Work[T], make_uow: UnitOfWorkFactory, *, limiter: CapacityLimiter | None = None
) -> T:
    """`work(factory)` that talks to our database only (never to a network), and what it
    returns (or raises): on the loop on SQLite unless it would wait, else on a thread of
    `limiter` (the ordinary pool by default). It must do nothing but reads before its first
    write, so that it can start again."""
    if make_uow.engine.dialect.name == "sqlite":
        await _turn()
        try:
            return work(make_uow.not_waiting(_kept_connection(make_uow.engine)))
        except WriterBusy:
            pass  # another writer holds the database: wait for it on a thread
    return await anyio.to_thread.run_sync(work, make_uow, limiter=limiter)


def _scan_limiter(make_uow: UnitOfWorkFactory) -> CapacityLimiter:
    size = SCAN_THREADS.get(make_uow.engine.dialect.name, 8)
    limiters = _limiters.setdefault(asyncio.get_running_loop(), {})
    limiter = limiters.get(size)
    if limiter is None:
        limiter = limiters[size] = CapacityLimiter(size)
    return limiter


def _kept_connection(engine: Engine) -> KeptConnection:
    kept = _kept.setdefault(asyncio.get_running_loop(), {})
    found = kept.get(engine)
    if found is None:
        found = kept[engine] = KeptConnection(engine)
    return found


async def _turn() -> None:
    # Let the requests that came in meanwhile reach this point first, so that work runs on the
    # loop in the order it came (saturated p99: prepare 56 -> 21 ms, redeem 186 -> 80 ms).
    await asyncio.sleep(0)
