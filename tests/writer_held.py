"""A database writer held while a test watches the service: in this process (a console action's
unit of work) or in another connection (another process's write transaction)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager

import httpx

from voucherbridge.bootstrap import Container


@contextmanager
def console_write_held(container: Container) -> Iterator[None]:
    """A write unit of work of this process open until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with container.uow(write=True):
            held.set()
            release.wait(60)

    with ThreadPoolExecutor(1) as pool:
        writer = pool.submit(hold)
        assert held.wait(30)
        try:
            yield
        finally:
            release.set()
            writer.result(timeout=30)


@contextmanager
def other_process_write_held(container: Container) -> Iterator[None]:
    """SQLite's write lock taken by another connection (as another process takes it) until
    the block ends."""
    path = container.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
    finally:
        other.close()


def writer_lock_is_free(container: Container) -> bool:
    """Whether another connection (another process) could take SQLite's write lock now."""
    path = container.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def answers_meanwhile(base_url: str, pending: Future[httpx.Response]) -> None:
    """The service answers other requests while `pending` still waits for the writer."""
    with httpx.Client(base_url=base_url, timeout=20) as http:
        for _ in range(3):
            assert http.get("/healthz").status_code == 200
    assert not pending.done(), "the request did not wait for the writer"


WRITERS: dict[str, Callable[[Container], AbstractContextManager[None]]] = {
    "a console action of this process": console_write_held,
    "another process": other_process_write_held,
}
