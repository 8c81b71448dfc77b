"""On SQLite a scan of our own code runs on the event loop, but never waits there: when another
writer holds the database (a console action in this process, or another process), the redeem
waits for it on a scan thread while the service keeps answering, and then succeeds.

Each test holds the writer until it has seen the service answer something else, so a loop that
waited inside the redeem would never answer and the test would fail (httpx's timeout), not pass
by luck of timing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.helpers import bearer
from tests.procs import issue_cash_codes, open_order
from voucherbridge.bootstrap import Container
from voucherbridge.db.uow import WriterBusy
from voucherbridge_sims.simkit.server import ServerThread

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def served(app: Any, demo: dict[str, Any]) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


def _redeem(base_url: str, key: str, code: str, order_id: int) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        return http.post(
            "/api/v1/redemptions",
            json={"code": code, "order_id": order_id},
            headers={**bearer(key), "Idempotency-Key": f"k-{code}"},
        )


def _code_and_order(base_url: str, demo: dict[str, Any]) -> tuple[str, int]:
    (code,) = issue_cash_codes(base_url, demo, 1)
    with httpx.Client(base_url=base_url, timeout=60) as http:
        return code, open_order(http, demo["terminal_key"])


def _answers_meanwhile(base_url: str, pending: Future[httpx.Response]) -> None:
    """The service answers while the redeem is still waiting for the writer."""
    with httpx.Client(base_url=base_url, timeout=20) as http:
        for _ in range(3):
            assert http.get("/healthz").status_code == 200
    assert not pending.done(), "the redeem did not wait for the writer"


def test_a_redeem_waits_for_a_console_write_without_holding_up_the_service(
    container: Container, demo: dict[str, Any], served: str
):
    code, order_id = _code_and_order(served, demo)
    held, release = threading.Event(), threading.Event()

    def console_write() -> None:
        with container.uow(write=True):
            held.set()
            release.wait(60)

    with ThreadPoolExecutor(2) as pool:
        writer = pool.submit(console_write)
        assert held.wait(30)
        pending = pool.submit(_redeem, served, demo["terminal_key"], code, order_id)
        _answers_meanwhile(served, pending)
        release.set()
        writer.result(timeout=30)
        got = pending.result(timeout=60)
    assert got.status_code == 201, got.text
    assert got.json()["code"] == code


def test_a_redeem_waits_for_another_process_holding_sqlite_then_succeeds(
    container: Container, demo: dict[str, Any], served: str
):
    code, order_id = _code_and_order(served, demo)
    path = container.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction, held
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(_redeem, served, demo["terminal_key"], code, order_id)
            _answers_meanwhile(served, pending)
            other.execute("COMMIT")
            got = pending.result(timeout=60)
    finally:
        other.close()
    # Refused at once on the loop, it waited on the thread with SQLite's ordinary patience
    # (a busy timeout left at 0 would have answered 503 here).
    assert got.status_code == 201, got.text
    assert got.json()["code"] == code


def test_a_unit_of_work_that_may_not_wait_leaves_nothing_behind(container: Container):
    pool = container.engine.pool
    with container.uow(write=True):
        with pytest.raises(WriterBusy):
            container.uow(write=True, wait=False).__enter__()
    with container.uow(write=True, wait=False) as free:
        free.commit()  # nobody else writing: it proceeds as any unit of work does

    path = container.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WriterBusy):
            container.uow(write=True, wait=False).__enter__()
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Every connection went back to the pool, each with SQLite's ordinary busy timeout, and
    # the process's write lock is free again.
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    idle = [container.engine.connect() for _ in range(pool.checkedin() + 1)]  # type: ignore[attr-defined]
    try:
        timeouts = {c.exec_driver_sql("PRAGMA busy_timeout").scalar_one() for c in idle}
    finally:
        for conn in idle:
            conn.close()
    assert timeouts == {30000}
    with container.uow(write=True, wait=False) as again:
        again.commit()
