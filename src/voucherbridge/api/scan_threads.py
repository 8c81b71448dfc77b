"""Where a scan runs: on the event loop when that cannot block it, else on few threads.

A sync route runs on Starlette's pool of 40 threads, after a hop per sync dependency. The scan
routes (prepare, redeem) are async and hand their whole work (the terminal-key check and the
use case) to one thread of a small pool of their own (scans of our own codes; a platform code's
scan waits on the platform, so it keeps the ordinary pool): more threads than that only queue
on the database (SQLite has one writer) and on the GIL (issue #20).

On SQLite a scan of our own code is a millisecond of work that never waits on a network, and
handing it to a thread cost more than the scan's own statements: the loop and the thread took
the GIL from each other at every SQLite call (measured: 0.5 ms of CPU per redeem, 20-25% of it).
So it runs on the loop itself, as long as it would not wait there: its first unit of work is
opened with `wait=False`, and if another writer (a console action, a platform's callback,
another process) holds the write lock, `WriterBusy` is raised before anything was read and the
scan goes to a scan thread as before, where it waits its turn without holding up the loop. The
rare write after a refused scan (a guessed code noted) may still wait on the loop for a writer
that took the lock in between.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from voucherbridge.db.uow import WriterBusy

T = TypeVar("T")
# Threads per process for scans of our own codes: SQLite has one writer, so two threads keep it
# busy while a third would only wait for it and for the GIL; PostgreSQL's waits release the GIL.
SCAN_THREADS = {"sqlite": 2, "postgresql": 8}
# One limiter per event loop and size (a test client runs a loop of its own), made on first use.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


async def run_scan(work: Callable[[bool], T], *, backend: str, local: bool) -> T:
    """Run `work(wait)` and return what it returns (or raises). `local`: a scan of one of our
    codes; a platform code's scan waits on its platform's API, so it runs on the ordinary
    pool instead, where it cannot hold up the tills' local scans. `work(False)` must open its
    first unit of work with `wait=False` (raising `WriterBusy` before anything else)."""
    if not local:
        return await anyio.to_thread.run_sync(work, True)
    if backend == "sqlite":
        # Let the requests that came in meanwhile reach this point first, so that scans run on
        # the loop in the order they came (saturated p99: prepare 56 -> 21 ms, redeem 186 -> 80).
        await asyncio.sleep(0)
        try:
            return work(False)
        except WriterBusy:
            pass  # another writer holds the lock: wait for it on a thread, not on the loop
    size = SCAN_THREADS.get(backend, 8)
    loop = asyncio.get_running_loop()
    limiters = _limiters.setdefault(loop, {})
    limiter = limiters.get(size)
    if limiter is None:
        limiter = limiters[size] = CapacityLimiter(size)
    return await anyio.to_thread.run_sync(work, True, limiter=limiter)
