"""Self-pay against the WeChat simulator over real HTTP on loopback: the simulator (its WeChat Pay
keys made at its start) lives for the module; our service runs on a real port so the simulator
can post its payment notify to us; our settings carry the simulator's credentials, as the demo's
do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import SEED_ORDER, open_order
from tests.pgserver import free_port
from tests.platforms.flows.conftest import weimall, weimall_server
from tests.simulators.simtools import serve_pushed_to
from tests.simulators.wechat_world import add_wechat_users, wechat_settings
from voucherbridge.bootstrap import Container
from voucherbridge.chain.auth import resolve_terminal
from voucherbridge.config import Settings
from voucherbridge.core.actor import Actor
from voucherbridge.selfpay.payments import StartedPayment, start_payment
from voucherbridge.selfpay.tables import add_tables, store_tables
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.wechat.simulator import WeChatSimConfig
from voucherbridge_sims.wechat.simulator import create_app as wechat_app

__all__ = ["weimall", "weimall_server"]  # the flows' micro-mall fixtures, used here

GUEST = "o-guest-a3"
STRANGER = "o-stranger-b1"
TABLE = "A3"
NOTIFY = "/hooks/wechatpay/notify"


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[ServerThread]:
    with ServerThread(wechat_app(WeChatSimConfig(time_scale=0.001))) as server:
        yield server


@pytest.fixture
def settings(
    database_url: str, wechat_server: ServerThread, weimall_server: ServerThread
) -> Settings:
    return wechat_settings(
        database_url,
        weimall=weimall_server,
        wechat=wechat_server,
        pay=True,
        live_poll_s=0.2,
        live_heartbeat_s=1.0,
    )


@pytest.fixture
def wechat(wechat_server: ServerThread) -> Iterator[httpx.Client]:
    """The WeChat simulator, knowing the guest and a stranger (its Pay keys stay)."""
    with httpx.Client(base_url=wechat_server.base_url, timeout=30) as http:
        add_wechat_users(http, [(GUEST, "小李"), (STRANGER, "路人")])
        yield http


@pytest.fixture
def live(app: Any, weimall_server: ServerThread) -> Iterator[str]:
    """Our service on a real loopback port: where WeChat Pay's notify goes and the mall
    pushes its purchases."""
    yield from serve_pushed_to(app, weimall_server)


@pytest.fixture
def dead_url() -> str:
    """A notify_url nobody listens on: the genuine notify fails and waits for a replay."""
    return f"http://127.0.0.1:{free_port()}{NOTIFY}"


def table_bill(client: Any, auth: dict[str, str], table: str = TABLE) -> dict[str, Any]:
    return open_order(client, auth, **{**SEED_ORDER, "table": table})


def start(
    container: Container, demo: dict[str, Any], order_id: int, notify_url: str
) -> StartedPayment:
    return start_payment(
        container.uow,
        container.wechatpay,
        merchant_id=resolve_terminal(container.uow(), demo["terminal_key"]).merchant_id,
        order_id=order_id,
        openid=GUEST,
        notify_url=notify_url,
        now=container.clock(),
    )


def pay_now(wechat: httpx.Client, started: StartedPayment) -> dict[str, Any]:
    paid = wechat.post("/_sim/wechatpay/pay-now", json={"prepay_id": started.prepay_id})
    assert paid.status_code == 200, paid.text
    return dict(paid.json())


def replay(wechat: httpx.Client, out_trade_no: str, to: str, **override: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"out_trade_no": out_trade_no, "notify_url": to}
    if override:
        body["override"] = override
    sent = wechat.post("/_sim/wechatpay/replay", json=body)
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


def table_token(container: Container, demo: dict[str, Any], table: str = TABLE) -> str:
    """The QR token of `table` at the demo till's store (added as the console would)."""
    terminal = resolve_terminal(container.uow(), demo["terminal_key"])
    actor = Actor.operator(terminal.merchant_id)
    add_tables(
        container.uow(write=True),
        actor=actor,
        store_id=terminal.store_id,
        spec=table,
        now=container.clock(),
    )
    _store, rows = store_tables(container.uow(), actor=actor, store_id=terminal.store_id)
    return next(t.token for t in rows if t.table_no == table)
