"""The cashier's live alert: the payment reaches the cashier page's event stream at once, on
both backends; the stream needs the cashier's sign-in; across two API processes on PostgreSQL
(the notify taken by one, the cashier connected to the other) the event arrives through
LISTEN/NOTIFY, well before the fallback poll."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import postgresql_database
from tests.helpers import SEED_ORDER, terminal_headers, wait_until
from tests.helpers import open_order as open_bill
from tests.procs import apis, seed
from tests.selfpay.conftest import NOTIFY, pay_now, start, table_bill
from tests.selfpay.sse import EventReader
from tests.simulators.wechat_world import wechatpay_settings
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread


def test_the_cashier_stream_shows_the_payment_then_its_settling(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    wechat: httpx.Client,
    live: str,
) -> None:
    bill = table_bill(client, auth)
    with EventReader(live, demo["terminal_key"]) as stream:
        assert stream.status == 200
        started = start(container, demo, bill["id"], live + NOTIFY)
        paid_at = time.monotonic()
        pay_now(wechat, started)
        [alert] = wait_until(lambda: stream.of("payment"), timeout_s=20)
        assert alert["table"] == "A3"
        assert alert["amount_fen"] == started.amount_fen
        assert alert["amount_yuan"] == f"{started.amount_fen / 100:.2f}"
        assert alert["order_id"] == bill["id"]
        arrived = next(when for kind, _d, when in stream.events if kind == "payment")
        assert arrived - paid_at < 5
        closed = client.post(
            f"/api/v1/orders/{bill['id']}/checkout", json={"tenders": []}, headers=auth
        )
        assert closed.status_code == 200, closed.text
        [cleared] = wait_until(lambda: stream.of("cleared"), timeout_s=20)
        assert cleared["id"] == alert["id"]
        wait_until(lambda: stream.comments >= 2, timeout_s=20)  # connected + a heartbeat


def test_the_stream_needs_the_cashiers_sign_in(client: Any, demo: dict[str, Any]) -> None:
    assert client.get("/cashier/live").status_code == 401
    client.cookies.set("vb_cashier", "vbt_not-a-key")
    assert client.get("/cashier/live").status_code == 401


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    return postgresql_database(request)


def test_across_two_api_processes_the_event_arrives_by_listen_notify(
    pg_url: str, tmp_path: Path, wechat_server: ServerThread, wechat: httpx.Client
) -> None:
    world = seed(pg_url)
    pay = wechatpay_settings(wechat_server.base_url)
    env = {f"VOUCHERBRIDGE_{k.upper()}": v for k, v in pay.items()}
    env["VOUCHERBRIDGE_LIVE_FALLBACK_POLL_S"] = "120"  # only NOTIFY can be quick
    env["VOUCHERBRIDGE_LIVE_HEARTBEAT_S"] = "60"
    settings = Settings(database_url=pg_url, environment="test", **pay)  # type: ignore[arg-type]
    container = build(settings)
    try:
        with apis(pg_url, tmp_path, 2, **env) as (first, second):
            with httpx.Client(base_url=first.base_url, timeout=60) as http:
                bill = open_bill(
                    http,
                    terminal_headers(world["terminal_key"]),
                    **{**SEED_ORDER, "table": "A3"},
                )
            with EventReader(second.base_url, world["terminal_key"]) as stream:
                time.sleep(1.5)  # the second process's listener is up
                started = start(container, world, bill["id"], first.base_url + NOTIFY)
                paid_at = time.monotonic()
                paid = pay_now(wechat, started)
                assert paid["attempts"][0]["url"].startswith(first.base_url)
                assert paid["attempts"][0]["status_code"] == 204
                [alert] = wait_until(lambda: stream.of("payment"), timeout_s=30)
                latency = next(w for k, _d, w in stream.events if k == "payment") - paid_at
                assert alert["table"] == "A3"
                assert latency < 10, latency  # far below the 120 s fallback poll
                print(f"cross-process alert latency {latency * 1000:.0f} ms")
    finally:
        container.engine.dispose()
