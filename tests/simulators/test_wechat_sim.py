"""The WeChat official-account simulator: stable tokens (same while valid, force_refresh,
expiry), template sends (token, template, follower, refusal, quota, 20-character fields,
first/remark hidden, client_msg_id dedupe), its hooks and its inbox page; one test drives it
over real HTTP as `voucherbridge simulate wechat` serves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from voucherbridge_sims.wechat.simulator import (
    ServerThread,
    WeChatSimConfig,
    config_from_env,
    create_app,
)

APPID, SECRET = "wx-demo-appid", "wx-demo-secret"
SEND = "/cgi-bin/message/template/send"
KEYS = [
    {"key": "first", "label": "标题"},
    {"key": "thing1", "label": "商品名称"},
    {"key": "amount2", "label": "金额"},
    {"key": "remark", "label": "备注"},
]


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(WeChatSimConfig())


@pytest.fixture
def sim(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        client.post("/_sim/reset").raise_for_status()
        client.post(
            "/_sim/wechat/templates",
            json={"template_id": "tpl-1", "title": "购买成功通知", "keys": KEYS},
        ).raise_for_status()
        client.post("/_sim/wechat/users", json={"openid": "o-buyer"}).raise_for_status()
        yield client


def token(sim: TestClient | httpx.Client, force: bool = False) -> str:
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    answer = sim.post("/cgi-bin/stable_token", json={**body, "force_refresh": force}).json()
    assert answer["expires_in"] > 7000, answer
    return str(answer["access_token"])


def send(sim: TestClient | httpx.Client, access_token: str, **fields: Any) -> dict[str, Any]:
    body = {
        "touser": "o-buyer",
        "template_id": "tpl-1",
        "data": {
            "first": {"value": "不显示"},
            "thing1": {"value": "100元代金券"},
            "amount2": {"value": "100.00元"},
            "remark": {"value": "也不显示"},
        },
        **fields,
    }
    answer = sim.post(SEND, params={"access_token": access_token}, json=body)
    assert answer.status_code == 200
    return dict(answer.json())


def test_stable_token_is_the_same_while_valid_and_new_when_forced_or_expired(sim: TestClient):
    first = token(sim)
    assert token(sim) == first
    forced = token(sim, force=True)
    assert forced != first
    assert send(sim, first)["errcode"] == 0  # a replaced token lives five more minutes
    sim.post("/_sim/clock", json={"advance_s": 301}).raise_for_status()
    assert send(sim, first)["errcode"] == 42001
    assert send(sim, forced)["errcode"] == 0
    sim.post("/_sim/wechat/expire-token").raise_for_status()
    assert send(sim, forced)["errcode"] == 42001
    assert token(sim) not in (first, forced)
    assert send(sim, "made-up")["errcode"] == 40001


def test_wrong_credentials_are_refused(sim: TestClient):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": "wrong"}
    assert sim.post("/cgi-bin/stable_token", json=body).json()["errcode"] == 40125
    body = {"grant_type": "client_credential", "appid": "wx-other", "secret": SECRET}
    assert sim.post("/cgi-bin/stable_token", json=body).json()["errcode"] == 40013
    plain = sim.get(
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    ).json()
    assert plain["access_token"]
    assert plain["expires_in"] == 7200


def test_a_send_lands_rendered_in_the_inbox_and_a_resend_of_its_id_does_not(sim: TestClient):
    access = token(sim)
    sent = send(sim, access, client_msg_id="42")
    assert sent["errcode"] == 0
    assert sent["msgid"]
    again = send(sim, access, client_msg_id="42")
    assert again == sent
    [message] = sim.get("/_sim/wechat/messages", params={"openid": "o-buyer"}).json()
    assert message["text"] == "购买成功通知\n商品名称:100元代金券\n金额:100.00元"
    assert "不显示" not in message["text"]
    page = sim.get("/_sim/wechat").text
    assert "用户 o-buyer" in page
    assert "100元代金券" in page
    assert "购买成功通知" in page
    assert sim.get("/").status_code == 200


def test_refusals_follow_the_platforms_codes(sim: TestClient):
    access = token(sim)
    assert send(sim, access, template_id="tpl-nope")["errcode"] == 40037
    assert send(sim, access, touser="o-stranger")["errcode"] == 40003
    sim.post("/_sim/wechat/users", json={"openid": "o-left", "subscribed": False})
    assert send(sim, access, touser="o-left")["errcode"] == 43004
    sim.post("/_sim/wechat/users", json={"openid": "o-no", "refused": True})
    assert send(sim, access, touser="o-no")["errcode"] == 43101
    long_name = {"thing1": {"value": "一" * 21}, "amount2": {"value": "1.00元"}}
    assert send(sim, access, data=long_name)["errcode"] == 47003
    missing = {"thing1": {"value": "x"}}
    assert send(sim, access, data=missing)["errcode"] == 47003
    assert sim.get("/_sim/wechat/messages").json() == []


def test_the_daily_quota_refuses_until_it_is_reset(sim: TestClient):
    access = token(sim)
    assert sim.post("/_sim/wechat/quota", json={"daily": 1}).json()["daily"] == 1
    assert send(sim, access, client_msg_id="1")["errcode"] == 0
    assert send(sim, access, client_msg_id="2")["errcode"] == 45009
    sim.post("/_sim/wechat/quota", json={"reset": True}).raise_for_status()
    assert send(sim, access, client_msg_id="2")["errcode"] == 0
    assert send(sim, access, client_msg_id="3")["errcode"] == 45009
    sim.post("/_sim/clock", json={"advance_s": 86_400}).raise_for_status()  # the next day
    assert send(sim, token(sim), client_msg_id="3")["errcode"] == 0


def test_config_from_env_and_served_over_http(tmp_path: Path):
    config = config_from_env(
        {"WECHAT_APPID": "wx-x", "WECHAT_SECRET": "s", "SIM_STATE_FILE": str(tmp_path / "w.json")}
    )
    assert (config.appid, config.secret) == ("wx-x", "s")
    config.appid, config.secret = APPID, SECRET
    with ServerThread(create_app(config)) as server, httpx.Client(base_url=server.base_url) as http:
        http.post(
            "/_sim/wechat/templates", json={"template_id": "tpl-1", "keys": KEYS}
        ).raise_for_status()
        http.post("/_sim/wechat/users", json={"openid": "o-buyer"}).raise_for_status()
        assert send(http, token(http))["errcode"] == 0
        fetched = http.get("/_sim/requests", params={"path": "/cgi-bin/stable_token"}).json()
        assert len(fetched) == 1
    # the state file keeps the inbox across a restart
    with ServerThread(create_app(config)) as server:
        kept = httpx.get(server.base_url + "/_sim/wechat/messages").json()
        assert [m["lines"][0]["value"] for m in kept] == ["100元代金券"]


def test_voucherbridge_simulate_wechat_serves_it_on_loopback() -> None:
    import socket
    import subprocess
    import sys

    from tests.helpers import wait_until

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "voucherbridge.cli.main", "simulate", "wechat"]
    proc = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def answered() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/_sim/wechat", timeout=2)
            except httpx.TransportError:
                return None

        page = wait_until(answered, timeout_s=30, interval_s=0.2, message="did not start")
        assert "微信公众号模拟器" in page.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert token(http)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
