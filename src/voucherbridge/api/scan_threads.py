"""The scan routes' worker threads: one hop per request, and few threads.

A sync route runs on Starlette's pool of 40 threads, after a hop per sync dependency. The scan
routes (prepare, redeem) are async and hand their whole work (the terminal-key check and the
use case) to one thread of a small pool of their own (scans of our own codes; a platform code's
scan waits on the platform, so it keeps the ordinary pool): more threads than that only queue
on the database (SQLite has one writer) and on the GIL (issue #20).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")
# Threads per process for scans of our own codes: SQLite has one writer, so two threads keep it
# busy while a third would only wait for it and for the GIL; PostgreSQL's waits release the GIL.
SCAN_THREADS = {"sqlite": 2, "postgresql": 8}
# One limiter per event loop and size (a test client runs a loop of its own), made on first use.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


async def run_scan(work: Callable[[], T], *, backend: str, local: bool) -> T:
    """Run `work` on a scan thread and return what it returns (or raises). `local`: a scan
    of one of our codes; a platform code's scan waits on its platform's API, so it runs on
    the ordinary pool instead, where it cannot hold up the tills' local scans."""
    if not local:
        return await anyio.to_thread.run_sync(work)
    size = SCAN_THREADS.get(backend, 8)
    loop = asyncio.get_running_loop()
    limiters = _limiters.setdefault(loop, {})
    limiter = limiters.get(size)
    if limiter is None:
        limiter = limiters[size] = CapacityLimiter(size)
    return await anyio.to_thread.run_sync(work, limiter=limiter)
