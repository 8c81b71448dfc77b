"""No double redemption, ever: many terminals race for one code; exactly one wins."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from voucherbridge.bootstrap import Container, build
from voucherbridge.chain.auth import resolve_terminal
from voucherbridge.config import Settings
from voucherbridge.counter import merchant_codes as redemption
from voucherbridge.counter import orders
from voucherbridge.db import tables as t
from voucherbridge.domain.codes import classify_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.orders import OrderLine

LINES = [OrderLine(1, "SOUP01", "凉瓜黄豆汤底", 1, 19900, "条")]


def _open_orders(container: Container, key: str, n: int) -> list[int]:
    terminal = resolve_terminal(container.uow(), key)
    return [
        orders.create_order(
            container.uow(write=True),
            terminal=terminal,
            table=f"T{i}",
            guests=2,
            lines=LINES,
            service_fee_fen=0,
            now=container.clock(),
        ).id
        for i in range(n)
    ]


def _attempt(container: Container, key: str, code: str, order_id: int) -> str:
    terminal = resolve_terminal(container.uow(), key)
    try:
        redemption.redeem_code(
            container.uow(write=True),
            terminal=terminal,
            scanned=classify_code(code),
            order_id=order_id,
            idempotency_key=None,
            now=container.clock(),
            reversal_windows=container.settings.reversal_windows(),
        )
    except DomainError as exc:
        return exc.code.value
    return "ok"


def _counts(container: Container) -> tuple[int, int]:
    with container.engine.connect() as conn:
        redemptions = conn.execute(select(func.count()).select_from(t.redemptions)).scalar_one()
        outbox = conn.execute(select(func.count()).select_from(t.outbox)).scalar_one()
    return redemptions, outbox


def test_twenty_threads_one_code_exactly_one_redemption(
    container: Container, demo: dict[str, Any]
) -> None:
    key, code = demo["terminal_key"], demo["codes"]["cash"][0]
    order_ids = _open_orders(container, key, 20)
    results: list[str] = []
    barrier = threading.Barrier(20)

    def worker(order_id: int) -> None:
        barrier.wait()
        results.append(_attempt(container, key, code, order_id))

    threads = [threading.Thread(target=worker, args=(oid,)) for oid in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["ok"] + [ErrorCode.VOUCHER_ALREADY_REDEEMED.value] * 19
    assert _counts(container) == (1, 1)  # one redemption, one platform-sync outbox row


def _process_attempt(args: tuple[str, str, str, int, Any]) -> str:
    url, key, code, order_id, barrier = args
    container = build(Settings(database_url=url, environment="test", log_level="WARNING"))
    barrier.wait()
    try:
        return _attempt(container, key, code, order_id)
    finally:
        container.engine.dispose()


def _run_in_process(args: tuple[str, str, str, int, Any], queue: Any) -> None:
    queue.put(_process_attempt(args))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_four_processes_one_code_exactly_one_redemption(
    container: Container, demo: dict[str, Any], database_url: str
) -> None:
    key, code = demo["terminal_key"], demo["codes"]["cash"][1]
    order_ids = _open_orders(container, key, 4)
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_run_in_process, args=((database_url, key, code, oid, barrier), queue))
        for oid in order_ids
    ]
    for proc in procs:
        proc.start()
    results = sorted(queue.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    assert results == ["ok"] + [ErrorCode.VOUCHER_ALREADY_REDEEMED.value] * 3
    assert _counts(container) == (1, 1)
