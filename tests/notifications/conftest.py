"""Consumer notifications end to end: our API and worker against the WeChat and micro-mall
simulators over real HTTP on loopback. The simulators live for the module and are reset before
each test; the demo merchant gets a template for every event (the demo's own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import demo_admin_headers
from tests.platforms.flows.conftest import weimall, weimall_server
from tests.simulators.simtools import serve_pushed_to
from voucherbridge.bootstrap import Container
from voucherbridge.config import Settings
from voucherbridge.core.actor import Actor
from voucherbridge.demo.notifications import TEMPLATES
from voucherbridge.notifications.settings import save_event_template
from voucherbridge.outbox.service import DeliveryReport, deliver_due
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.wechat.simulator import WeChatSimConfig
from voucherbridge_sims.wechat.simulator import create_app as wechat_app

__all__ = ["weimall", "weimall_server"]  # the flows' micro-mall fixtures, used here

FAN = "o-fan-0001"  # follows the account and buys on the mall


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[ServerThread]:
    with ServerThread(wechat_app(WeChatSimConfig())) as server:
        yield server


@pytest.fixture
def wechat(wechat_server: ServerThread) -> Iterator[httpx.Client]:
    """The WeChat simulator, reset, with the demo's templates and the fan following."""
    with httpx.Client(base_url=wechat_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        for template_id, title, keys in TEMPLATES.values():
            body = {
                "template_id": template_id,
                "title": title,
                "keys": [{"key": k, "label": label} for k, label, _v in keys],
            }
            http.post("/_sim/wechat/templates", json=body).raise_for_status()
        http.post("/_sim/wechat/users", json={"openid": FAN}).raise_for_status()
        yield http


@pytest.fixture
def settings(
    database_url: str, wechat_server: ServerThread, weimall_server: ServerThread
) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        log_level="WARNING",
        weimall_base_url=weimall_server.base_url,
        notifier="wechat",
        wechat_base_url=wechat_server.base_url,
        platform_retry_wait_s=0.01,
        platform_timeout_s=5.0,
    )


@pytest.fixture
def live(app: Any, weimall_server: ServerThread) -> Iterator[str]:
    """Our service on a real port; the mall pushes its purchases to it."""
    yield from serve_pushed_to(app, weimall_server)


@pytest.fixture
def admin(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    return demo_admin_headers(client, demo)


@pytest.fixture
def templates(container: Container, client: Any, admin: dict[str, str]) -> None:
    """The demo merchant's template for every event (as `seed-demo` sets them)."""
    me = client.get("/api/admin/v1/me", headers=admin)
    assert me.status_code == 200, me.text
    actor = Actor.operator(int(me.json()["merchant"]["id"]))
    for event, (template_id, _title, keys) in TEMPLATES.items():
        save_event_template(
            container.uow(write=True),
            actor=actor,
            event=event,
            template_id=template_id,
            fields={k: v for k, _label, v in keys},
            now=container.clock(),
        )


@pytest.fixture
def deliver(container: Container) -> Callable[[], DeliveryReport]:
    """Run the outbox worker with this deployment's deliverers until nothing is due (rows of
    one code go one at a time, in order); the passes' counts added up."""

    def run() -> DeliveryReport:
        total = DeliveryReport()
        for _ in range(10):
            report = deliver_due(container.uow, container.deliverers(), container.clock)
            total.delivered += report.delivered
            total.retried += report.retried
            total.dead += report.dead
            total.skipped += report.skipped
            if not (report.delivered or report.skipped):
                break
        return total

    return run


def inbox(wechat: httpx.Client, openid: str = FAN) -> list[dict[str, Any]]:
    return list(wechat.get("/_sim/wechat/messages", params={"openid": openid}).json())


def calls(sim: httpx.Client, path: str) -> list[dict[str, Any]]:
    return list(sim.get("/_sim/requests", params={"path": path}).json())
