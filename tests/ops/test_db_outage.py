"""The database goes away for a few seconds (PostgreSQL stopped, then started): the tills get
a clear 503 `service_unavailable` meanwhile, never a 500, and the same API process serves again
by itself once the database is back — no restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from tests.helpers import bearer
from tests.pgserver import find_pg_bin
from tests.procs import (
    SOUP,
    Api,
    OwnPostgres,
    issue_cash_codes,
    open_order,
    seed,
)
from voucherbridge.db.migrate import upgrade

DOWN_S = 3.0
pytestmark = pytest.mark.skipif(find_pg_bin() is None, reason="needs PostgreSQL binaries")


@pytest.fixture
def own_pg() -> Iterator[OwnPostgres]:
    """A server of this test alone: stopping the session's server would break other tests."""
    server = OwnPostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] == "服务暂时不可用,请稍后重试"
    assert answer.headers["retry-after"]


def test_database_stopped_then_started_gives_503_then_recovers_without_restart(
    own_pg: OwnPostgres, tmp_path: Path
):
    engine = create_engine(own_pg.url)
    upgrade(engine)
    engine.dispose()
    demo = seed(own_pg.url)
    key = demo["terminal_key"]
    api = Api(own_pg.url, tmp_path / "api.log").start()
    http = httpx.Client(base_url=api.base_url, timeout=30)
    try:
        codes = issue_cash_codes(api.base_url, demo, 2)
        before = open_order(http, key)  # the pool now holds live connections

        own_pg.stop()
        down, refused = time.monotonic(), 0
        while time.monotonic() - down < DOWN_S:  # a few seconds of tills still trying
            _unavailable(http.get("/healthz"))
            _unavailable(http.post("/api/v1/orders", json={"lines": SOUP}, headers=bearer(key)))
            _unavailable(
                http.post(
                    "/api/v1/redemptions",
                    json={"code": codes[0], "order_id": before},
                    headers=bearer(key),
                )
            )
            refused += 3
            time.sleep(0.1)
        english = http.get("/healthz", headers={"Accept-Language": "en"})
        assert english.json()["error"]["message"] == "Service temporarily unavailable; please retry"

        own_pg.start()
        up = time.monotonic()
        answers: list[int] = []
        while time.monotonic() - up < 30:
            answer = http.post("/api/v1/orders", json={"lines": SOUP}, headers=bearer(key))
            answers.append(answer.status_code)
            if answer.status_code == 201:
                break
            _unavailable(answer)  # still a clear 503 while the pool reconnects
            time.sleep(0.2)
        recovered = time.monotonic() - up
        assert answers[-1] == 201, answers
        assert http.get("/healthz").status_code == 200
        redeemed = http.post(
            "/api/v1/redemptions",
            json={"code": codes[0], "order_id": before},
            headers=bearer(key),
        )
        assert redeemed.status_code == 201, redeemed.text
        assert api.proc is not None
        assert api.proc.poll() is None  # the same process throughout
        print(
            f"\ndb outage: {refused} requests answered 503 in {DOWN_S} s; back to 201 after "
            f"{recovered:.2f} s and {len(answers)} tries"
        )
    finally:
        http.close()
        api.stop()
