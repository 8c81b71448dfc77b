"""我的优惠 end to end: our service on a real port, the micro-mall simulator selling to a WeChat
user and the WeChat simulator signing that user in (web-page authorization, snsapi_base), all
over HTTP on loopback. The simulators live for the module and are reset before each test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import buy_weimall, demo_admin_headers, demo_listing
from tests.platforms.flows.conftest import weimall, weimall_server
from tests.simulators.simtools import serve_pushed_to
from tests.simulators.wechat_world import add_wechat_users, wechat_settings
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.wechat.simulator import WeChatSimConfig
from voucherbridge_sims.wechat.simulator import create_app as wechat_app

__all__ = ["weimall", "weimall_server"]  # the flows' micro-mall fixtures, used here

FAN = "o-fan-0001"  # buys on the mall and opens 我的优惠
STRANGER = "o-stranger-0002"  # another WeChat user of the same account


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[ServerThread]:
    with ServerThread(wechat_app(WeChatSimConfig())) as server:
        yield server


@pytest.fixture
def wechat(wechat_server: ServerThread) -> Iterator[httpx.Client]:
    """The WeChat simulator, reset, knowing the fan and a stranger."""
    with httpx.Client(base_url=wechat_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        http.delete("/_sim/faults").raise_for_status()
        add_wechat_users(http, [(FAN, "小王"), (STRANGER, "路人")])
        yield http


@pytest.fixture
def settings(
    database_url: str, wechat_server: ServerThread, weimall_server: ServerThread
) -> Settings:
    return wechat_settings(database_url, weimall=weimall_server, wechat=wechat_server)


@pytest.fixture
def live(app: Any, demo: dict[str, Any], weimall_server: ServerThread) -> Iterator[str]:
    """Our service (demo seeded) on a real port; the mall pushes its purchases to it."""
    yield from serve_pushed_to(app, weimall_server)


@pytest.fixture
def admin(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    return demo_admin_headers(client, demo)


@pytest.fixture
def merchant_id(client: Any, admin: dict[str, str]) -> int:
    return int(client.get("/api/admin/v1/me", headers=admin).json()["merchant"]["id"])


def buy_for(
    weimall: httpx.Client, client: Any, admin: dict[str, str], openid: str, quantity: int = 1
) -> list[str]:
    """`openid` buys the demo's 100元 cash voucher on the mall; the codes we issued."""
    cash = demo_listing(client, admin, "weimall")["public_id"]
    return list(buy_weimall(weimall, cash, quantity=quantity, openid=openid)["codes"])


class Phone:
    """A phone's browser as far as HTTP goes: its own cookies, redirects followed by hand."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def start(self, path: str) -> httpx.Response:
        """Open `path` signed out: our 302 to WeChat's authorize page (with the flow cookie)."""
        response = self.http.get(path)
        assert response.status_code == 302, (response.status_code, response.text[:300])
        return response

    def authorize(self, authorize_url: str, openid: str) -> str:
        """WeChat's answer for `openid` picking themselves: the callback URL with code+state."""
        answer = httpx.get(authorize_url + f"&_sim_openid={openid}", follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["location"])

    def sign_in(self, path: str, openid: str) -> httpx.Response:
        """The whole sign-in from `path`; the page it lands on."""
        authorize = str(self.start(path).headers["location"]).split("#")[0]
        back = self.http.get(self.authorize(authorize, openid))
        assert back.status_code == 303, (back.status_code, back.text[:500])
        return self.http.get(back.headers["location"])


@pytest.fixture
def phone(live: str) -> Iterator[Phone]:
    browser = Phone(live)
    yield browser
    browser.close()


@pytest.fixture
def other_phone(live: str) -> Iterator[Phone]:
    browser = Phone(live)
    yield browser
    browser.close()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def error_code(response: httpx.Response) -> str | None:
    found = re.search(r'data-code="([a-z_]+)"', response.text)
    return found.group(1) if found else None
