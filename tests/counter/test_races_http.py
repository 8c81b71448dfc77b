"""Races through the real HTTP API: two `voucherbridge serve` processes on one database, eight
client processes attacking each of 200 codes at the same moment; and reversals racing a
redeem or each other. Exactly one use per code, never a `database is locked` or a 5xx."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from tests.helpers import bearer
from tests.procs import Api, apis, issue_cash_codes, open_order, scalar, seed

CLIENTS, CODES = 8, 200
ALREADY = "voucher_already_redeemed"


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[list[Api], dict[str, Any]]]:
    demo = seed(database_url)
    with apis(database_url, tmp_path, 2) as started:
        yield started, demo


def _client(base_url: str, key: str, codes: list[str], barrier: Any, queue: Any) -> None:
    """One till: an order per code first, then every code at the same moment as the others."""
    answers: list[tuple[str, int, str | None]] = []
    with httpx.Client(base_url=base_url, timeout=120) as http:
        orders = [open_order(http, key) for _ in codes]
        for code, order_id in zip(codes, orders, strict=True):
            barrier.wait(timeout=120)
            got = http.post(
                "/api/v1/redemptions",
                json={"code": code, "order_id": order_id},
                headers=bearer(key),
            )
            body = got.json() if got.headers.get("content-type") == "application/json" else {}
            answers.append((code, got.status_code, body.get("error", {}).get("code")))
    queue.put(answers)


def test_eight_processes_race_for_each_of_200_codes_through_two_api_processes(
    database_url: str, served: tuple[list[Api], dict[str, Any]]
):
    started, demo = served
    codes = issue_cash_codes(started[0].base_url, demo, CODES)
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(CLIENTS), ctx.Queue()
    clients = [
        ctx.Process(
            target=_client,
            args=(started[i % 2].base_url, demo["terminal_key"], codes, barrier, queue),
        )
        for i in range(CLIENTS)
    ]
    began = time.monotonic()
    for proc in clients:
        proc.start()
    answers = [a for _ in clients for a in queue.get(timeout=300)]
    for proc in clients:
        proc.join(timeout=30)
    elapsed = time.monotonic() - began

    per_code: dict[str, Counter[tuple[int, str | None]]] = defaultdict(Counter)
    for code, status, error in answers:
        per_code[code][(status, error)] += 1
    assert len(answers) == CLIENTS * CODES
    for code in codes:
        assert per_code[code] == Counter({(201, None): 1, (409, ALREADY): CLIENTS - 1}), code
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert scalar(conn, "select count(*) from redemptions") == CODES
        assert scalar(conn, "select count(*) from codes where status = 'redeemed'") == CODES
        assert scalar(conn, "select count(*) from outbox") == CODES  # one sync per use
    engine.dispose()
    print(f"\nrace {database_url.split(':')[0]}: {len(answers)} requests in {elapsed:.1f} s")


def _together(key: str, *calls: tuple[httpx.Client, str, dict[str, Any] | None]) -> list[Any]:
    """POST each (client, path, body) in threads released at the same moment; answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        http, path, body = calls[i]
        barrier.wait()
        answers[i] = http.post(path, json=body, headers=bearer(key))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return answers


ROUNDS = 20


def test_a_reverse_racing_a_redeem_of_the_same_code_leaves_one_consistent_state(
    database_url: str, served: tuple[list[Api], dict[str, Any]]
):
    started, demo = served
    key = demo["terminal_key"]
    codes = issue_cash_codes(started[0].base_url, demo, ROUNDS)
    one, two = (httpx.Client(base_url=a.base_url, timeout=60) for a in started)
    outcomes: Counter[str] = Counter()
    with one, two:
        for code in codes:
            first = one.post(
                "/api/v1/redemptions",
                json={"code": code, "order_id": open_order(one, key)},
                headers=bearer(key),
            )
            assert first.status_code == 201, first.text
            other_order = open_order(two, key)
            reverse, redeem = _together(
                key,
                (one, f"/api/v1/redemptions/{first.json()['id']}/reverse", None),
                (two, "/api/v1/redemptions", {"code": code, "order_id": other_order}),
            )
            assert (reverse.status_code, reverse.json()["status"]) == (200, "reversed")
            assert redeem.status_code in (201, 409), redeem.text
            if redeem.status_code == 409:
                assert redeem.json()["error"]["code"] == ALREADY
            outcomes["redeemed again" if redeem.status_code == 201 else "left issued"] += 1
            _assert_consistent(database_url, code, live=1 if redeem.status_code == 201 else 0)
    print(f"\nreverse vs redeem on {database_url.split(':')[0]}: {dict(outcomes)}")


def test_two_reverses_of_one_redemption_racing_reverse_it_once(
    database_url: str, served: tuple[list[Api], dict[str, Any]]
):
    started, demo = served
    key = demo["terminal_key"]
    codes = issue_cash_codes(started[0].base_url, demo, ROUNDS)
    one, two = (httpx.Client(base_url=a.base_url, timeout=60) for a in started)
    with one, two:
        for code in codes:
            done = one.post(
                "/api/v1/redemptions",
                json={"code": code, "order_id": open_order(one, key)},
                headers=bearer(key),
            )
            assert done.status_code == 201, done.text
            path = f"/api/v1/redemptions/{done.json()['id']}/reverse"
            answers = _together(key, (one, path, None), (two, path, None))
            assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "reversed")] * 2
            _assert_consistent(database_url, code, live=0)
            engine = create_engine(database_url)
            with engine.connect() as conn:
                public_id = done.json()["id"]
                reversed_events = scalar(
                    conn,
                    "select count(*) from code_events e join codes c on c.id = e.code_id "
                    "where c.code = :code and e.event = 'reversed'",
                    code=code,
                )
                audits = scalar(
                    conn,
                    "select count(*) from audit_log where action = 'redemption.reverse' "
                    "and subject = :s",
                    s=public_id,
                )
                syncs = scalar(
                    conn,
                    "select count(*) from outbox where dedupe_key = :k",
                    k=f"{public_id}:reversed",
                )
            engine.dispose()
            assert (reversed_events, audits, syncs) == (1, 1, 1)  # applied exactly once


def _assert_consistent(database_url: str, code: str, *, live: int) -> None:
    """The code is redeemed with exactly one active redemption, or issued with none."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        status = scalar(conn, "select status from codes where code = :c", c=code)
        active = scalar(
            conn, "select count(*) from redemptions where code = :c and status = 'active'", c=code
        )
    engine.dispose()
    assert (status, active) == (("redeemed", 1) if live else ("issued", 0))
