"""On SQLite a scan of our own code runs on the event loop, but never waits there: when another
writer holds the database (a console action in this process, or another process), the redeem
waits for it on a scan thread while the service keeps answering, and then succeeds.

Each test holds the writer until it has seen the service answer something else, so a loop that
waited inside the redeem would never answer and the test would fail (httpx's timeout), not pass
by luck of timing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import httpx
import pytest

from tests.helpers import bearer
from tests.procs import issue_cash_codes, open_order
from tests.writer_held import WRITERS, answers_meanwhile, console_write_held
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


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_redeem_waits_for_another_writer_without_holding_up_the_service(
    container: Container, demo: dict[str, Any], served: str, writer: str
):
    (code,) = issue_cash_codes(served, demo, 1)
    with httpx.Client(base_url=served, timeout=60) as http:
        order_id = open_order(http, demo["terminal_key"])
    with ThreadPoolExecutor(1) as pool:
        with WRITERS[writer](container):
            pending = pool.submit(_redeem, served, demo["terminal_key"], code, order_id)
            answers_meanwhile(served, pending)
        got = pending.result(timeout=60)
    # Refused at once on the loop, it waited on a thread with SQLite's ordinary patience (a
    # busy timeout left at 0 would have answered 503 here).
    assert got.status_code == 201, got.text
    assert got.json()["code"] == code


def test_a_unit_of_work_that_may_not_wait_leaves_nothing_behind(container: Container):
    pool = container.engine.pool
    for writer in WRITERS.values():
        with writer(container), pytest.raises(WriterBusy):
            container.uow(write=True, wait=False).__enter__()
    with container.uow(write=True, wait=False) as free:
        free.commit()  # nobody else writing: it proceeds as any unit of work does

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


def test_only_the_first_write_of_a_not_waiting_factory_refuses_to_wait(container: Container):
    not_waiting = container.uow.not_waiting()

    def second_write() -> bool:
        with not_waiting(write=True) as second:
            second.commit()
        return True

    with ThreadPoolExecutor(1) as pool:
        with console_write_held(container):
            with pytest.raises(WriterBusy):
                not_waiting(write=True).__enter__()
            # The second may follow one that committed, so it waits as any other write does.
            pending = pool.submit(second_write)
            done, _ = wait([pending], timeout=0.5)
            assert not done
        assert pending.result(timeout=30)
