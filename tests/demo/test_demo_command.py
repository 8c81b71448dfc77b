"""`./vb demo`: the newcomer's first command serves the API, the console, the cashier page, the
three platform simulators and an outbox worker; its vouchers are bought on the simulators, and
what it prints works end to end: every printed code redeems on the bill printed for it, syncs to
its platform with zero failures, and a reversal syncs too. Run from the demo's own output (the
banner and the world file it names), never from fixtures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.demo.running import Demo, demo_ports
from tests.demo.running import start_demo as _start
from tests.demo.running import stop_demo as _stop
from tests.helpers import demo_admin_headers, wait_until


@pytest.fixture
def ports() -> dict[str, int]:
    return demo_ports()


@pytest.fixture
def running_demo(tmp_path: Path, ports: dict[str, int]) -> Iterator[Demo]:
    demo = _start(tmp_path, ports)
    try:
        yield demo
    finally:
        _stop(demo)


def test_demo_serves_everything_a_newcomer_is_told_about(running_demo: Demo) -> None:
    demo = running_demo
    banner, base = demo.output(), demo.base
    assert f"{base}/console" in banner
    assert f"{base}/cashier" in banner
    assert "admin / 密码 hotpot-hq-demo" in banner
    assert f"POST {base}/api/admin/v1/login" in banner
    for path in ("/", "/console/login", "/cashier/login", "/docs"):
        assert httpx.get(base + path).status_code == 200, path
    for name in ("douyin", "meituan", "weimall"):
        assert f"127.0.0.1:{demo.ports[name]} 模拟器已启动" in banner
        page = httpx.get(demo.sim(name) + "/")
        assert page.status_code == 200, name
    assert "worker.started" in banner
    assert "pip" not in banner.lower()
    assert banner.index("演示已就绪") > banner.index("Uvicorn running")  # ready only when serving
    world = demo.world()
    for kind in ("cash", "item", "deduction", "combo"):
        codes = world["codes"][kind]
        assert any(c.startswith("J") for c in codes), (kind, codes)
        assert any(c.startswith("D") for c in codes), (kind, codes)
        assert all(c in world["sample_orders"] for c in codes)
    douyin, meituan = world["platform_codes"]["douyin"], world["platform_codes"]["meituan"]
    assert any("v.douyin.com" in c for c in douyin), douyin
    assert any(c.isdigit() for c in douyin), douyin
    assert all(c.isdigit() for c in meituan), meituan
    assert sorted(world["uses"][c] for c in douyin + meituan) == [1, 1, 2, 3]
    assert world["notes"] == []
    # the demo consumer follows the demo's official account: each purchase reached its inbox
    wechat = demo.sim("wechat")
    messages = wait_until(
        lambda: httpx.get(
            f"{wechat}/_sim/wechat/messages", params={"openid": "o-demo-buyer"}
        ).json(),
        timeout_s=30,
        message="no purchase notification reached the WeChat simulator",
    )
    assert messages[0]["title"] == "购买成功通知"
    assert "购买成功通知" in httpx.get(f"{wechat}/_sim/wechat").text
    # 我的优惠 as printed: the demo consumer signs in on the WeChat simulator and sees the
    # codes the demo bought on the mall
    found = re.search(r"我的优惠 my vouchers: (\S+)", banner)
    assert found, banner
    with httpx.Client(timeout=30) as phone:
        authorize = phone.get(found.group(1)).headers["location"].split("#")[0]
        assert authorize.startswith(f"{wechat}/connect/oauth2/authorize?")
        back = phone.get(authorize + "&_sim_openid=o-demo-buyer", follow_redirects=True)
    assert back.status_code == 200, back.text
    assert str(back.url) == found.group(1)
    mall_codes = [c for codes in world["codes"].values() for c in codes if c.startswith("J")]
    assert mall_codes
    assert all(code in back.text for code in mall_codes)
    assert "皇岗店" in back.text
    assert "深圳市福田区皇岗路 2008 号 1 楼" in back.text  # where each voucher applies


def _redeem(http: httpx.Client, key: str, code: str, bill: dict[str, Any], count: int = 1) -> Any:
    auth = {"Authorization": f"Bearer {key}"}
    order = http.post("/api/v1/orders", json=bill, headers=auth)
    assert order.status_code == 201, order.text
    body: dict[str, Any] = {"code": code, "order_id": order.json()["id"]}
    if count > 1:
        body["count"] = count
    redeemed = http.post("/api/v1/redemptions", json=body, headers=auth)
    assert redeemed.status_code == 201, (code, redeemed.text)
    return redeemed.json()


def test_every_printed_code_redeems_on_its_bill_and_syncs_with_zero_failures(
    running_demo: Demo,
) -> None:
    demo = running_demo
    world = demo.world()
    key, bills = world["terminal_key"], world["sample_orders"]
    with httpx.Client(base_url=demo.base, timeout=30) as http:
        used, j_codes = [], []
        for codes in world["codes"].values():
            j_code = next(c for c in codes if c.startswith("J"))
            d_code = next(c for c in codes if c.startswith("D"))
            j_codes.append(j_code)
            used += [_redeem(http, key, c, bills[c]) for c in (j_code, d_code)]
        for codes in world["platform_codes"].values():
            for code in codes:  # every use of the code's order on one bill
                used.append(_redeem(http, key, code, bills[code], count=world["uses"][code]))
        auth = {"Authorization": f"Bearer {key}"}
        for redemption in (used[0], used[1]):  # a micro-mall and a Douyin merchant code
            reversed_ = http.post(f"/api/v1/redemptions/{redemption['id']}/reverse", headers=auth)
            assert reversed_.status_code == 200, reversed_.text
        admin = demo_admin_headers(http, world)

        def synced() -> dict[str, int] | None:
            counts = http.get("/api/admin/v1/outbox", headers=admin).json()["counts"]
            settled = not any(counts.get(s) for s in ("pending", "inflight", "dead"))
            return counts if settled and counts.get("delivered") else None

        counts = wait_until(synced, timeout_s=60, interval_s=0.5, message="sync did not settle")
    assert counts.get("dead", 0) == 0
    mall = httpx.get(demo.sim("weimall") + "/_sim/weimall/codes").json()
    status = {c["code"]: c["status"] for c in mall}
    assert status[j_codes[0]] == "unused"  # used, then reversed: the mall agrees
    assert all(status[c] == "used" for c in j_codes[1:]), status


def test_a_restart_keeps_the_world_and_every_sync_still_succeeds(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    first = _start(tmp_path, ports)
    world = first.world()
    _stop(first)
    second = _start(tmp_path, ports)
    try:
        assert "之前打印的演示收银终端密钥已作废" in second.output()
        again = second.world()
        with httpx.Client(base_url=second.base, timeout=30) as http:
            code = world["codes"]["cash"][0]  # bought before the restart
            _redeem(http, again["terminal_key"], code, world["sample_orders"][code])
            admin = demo_admin_headers(http, again)

            def delivered() -> bool:
                counts = http.get("/api/admin/v1/outbox", headers=admin).json()["counts"]
                return bool(counts.get("delivered")) and not counts.get("pending")

            wait_until(delivered, timeout_s=60, interval_s=0.5, message="no sync after restart")
            counts = http.get("/api/admin/v1/outbox", headers=admin).json()["counts"]
        assert counts.get("dead", 0) == 0
    finally:
        _stop(second)


def test_no_simulator_outlives_the_demo(tmp_path: Path, ports: dict[str, int]) -> None:
    """Stopping the demo (SIGTERM, as a service manager or Ctrl-C does) stops its simulators:
    a later demo must not find their ports busy and talk to stale processes."""
    demo = _start(tmp_path, ports)
    _stop(demo)

    def all_gone() -> bool:
        for name in ("douyin", "meituan", "weimall"):
            try:
                httpx.get(demo.sim(name) + "/_sim/state", timeout=0.5)
                return False
            except httpx.TransportError:
                continue
        return True

    wait_until(all_gone, timeout_s=15, interval_s=0.2, message="a simulator outlived the demo")
