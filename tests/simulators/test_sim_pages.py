"""Each simulator's page (``GET /``) shows a person what the platform sees, in Chinese: the
products with 购买, the orders with each code's status, the calls received from our service
(codes masked), the pushes sent to it, and a switch that takes the platform down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.simulators.simtools import WEIMALL_SECRET, WEIMALL_STORE, Receiver, receiver
from voucherbridge.platforms.meituan.signing import signed_params
from voucherbridge.platforms.weimall.signing import build_envelope
from voucherbridge_sims.douyin.simulator import DouyinSimConfig
from voucherbridge_sims.douyin.simulator import create_app as douyin_app
from voucherbridge_sims.meituan.simulator import MeituanSimConfig
from voucherbridge_sims.meituan.simulator import create_app as meituan_app
from voucherbridge_sims.weimall.simulator import WeimallSimConfig
from voucherbridge_sims.weimall.simulator import create_app as weimall_app

CALLS, PUSHES = "收到的调用", "推送给商家系统的消息"


@pytest.fixture
def rx() -> Iterator[tuple[Receiver, str]]:
    with receiver() as found:
        yield found


def submit(sim: TestClient, path: str, **fields: str) -> str:
    """Post a page form as a browser does: 303 back to the page, which shows what happened."""
    answer = sim.post(path, data=fields, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/?msg=")
    page = sim.get(answer.headers["location"])
    assert page.status_code == 200
    return page.text


def status(page: str, code: str) -> str:
    found = re.search(
        rf'<code>{re.escape(code)}</code>\s*<span class="status">([^<]+)</span>', page
    )
    assert found, f"{code} not on the page"
    return found.group(1)


def section(page: str, title: str) -> str:
    titles = [CALLS, PUSHES, "</body>"]
    start = page.index(title)
    ends = [page.index(t, start + 1) for t in titles if t != title and t in page[start + 1 :]]
    return page[start : min(ends)]


def weimall_call(sim: TestClient, path: str, payload: dict[str, Any]) -> Any:
    now = int(sim.get("/_sim/clock").json()["now_ms"] // 1000)
    envelope = build_envelope(WEIMALL_STORE, WEIMALL_SECRET, "CALL", payload, now_s=now)
    return sim.post(path, json=envelope)


def test_the_weimall_page_follows_a_code_from_purchase_to_use_reversal_and_refund(
    rx: tuple[Receiver, str],
) -> None:
    receiver_, target = rx
    with TestClient(weimall_app(WeimallSimConfig(target_base_url=target))) as sim:
        page = sim.get("/").text
        assert "微商城模拟器" in page
        assert "平台正常" in page
        assert "还没有商品" in page
        title = "<script>alert(1)</script>双人火锅券"
        product = {"coupon_id": "L-1", "title": title, "unit_price_fen": 8800}
        sim.post("/_sim/weimall/products", json=product).raise_for_status()
        page = sim.get("/").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;双人火锅券" in page
        assert "<script>alert" not in page
        assert "购买" in page
        assert "¥88.00" in page

        page = submit(sim, "/_sim/page/buy", product_id="L-1", quantity="1")
        order = sim.get("/_sim/state").json()["orders"][0]
        (code,) = order["codes"]
        assert "购买 / buy 完成" in page
        assert status(page, code) == "未使用"
        assert order["order_no"] in page

        use = {"code": code, "redemption_id": "r-1", "store_id": WEIMALL_STORE}
        use |= {"discount_fen": 8800, "redeemed_at": datetime.now(UTC).isoformat()}
        assert weimall_call(sim, "/open/v1/vouchers/redeemed", use).json()["code"] == 0
        page = sim.get("/").text
        assert status(page, code) == "已核销"
        calls = section(page, CALLS)
        assert "核销同步 redeemed" in calls
        assert "*" * (len(code) - 4) + code[-4:] in calls
        assert code not in calls  # masked but for the last four
        assert "成功" in calls

        back = {"code": code, "redemption_id": "r-1", "reason": "顾客取消"}
        assert weimall_call(sim, "/open/v1/vouchers/reversed", back).json()["code"] == 0
        assert status(sim.get("/").text, code) == "已撤销"

        page = submit(sim, "/_sim/page/refund", order_id=order["order_no"])
        assert status(page, code) == "已退款"
        assert "退款 / refund 完成" in page
        pushes = section(page, PUSHES)
        assert "VOUCHER_REFUNDED" in pushes
        assert "VOUCHER_PURCHASED" in pushes
        assert "我们已接收" in pushes
        assert [c["body"]["order_no"] for c in receiver_.of("VOUCHER_REFUNDED")] == [
            order["order_no"]
        ]


def test_the_switch_takes_the_platform_down_for_our_calls_and_brings_it_back() -> None:
    with TestClient(weimall_app(WeimallSimConfig())) as sim:
        assert weimall_call(sim, "/open/v1/ping", {}).json()["code"] == 0
        page = submit(sim, "/_sim/page/platform", down="1")
        assert "平台已停机(模拟故障)" in page
        assert "平台正常" not in page
        refused = weimall_call(sim, "/open/v1/ping", {})
        assert refused.status_code == 503
        page = sim.get("/").text  # the page itself stays up
        assert "平台已停机(模拟故障)" in page
        assert "模拟故障 / simulated fault: http_503" in section(page, CALLS)
        again = submit(sim, "/_sim/page/platform", down="1")  # one switch, not two faults
        assert len(sim.get("/_sim/state").json()["faults"]) == 1
        assert "平台已停机(模拟故障)" in again

        page = submit(sim, "/_sim/page/platform", down="0")
        assert "平台正常" in page
        assert "平台已停机(模拟故障)" not in page
        assert weimall_call(sim, "/open/v1/ping", {}).json()["code"] == 0
        assert sim.get("/_sim/state").json()["faults"] == []


def test_a_bad_quantity_or_an_unknown_product_is_said_on_the_page() -> None:
    with TestClient(weimall_app(WeimallSimConfig())) as sim:
        assert "数量须为整数" in submit(sim, "/_sim/page/buy", product_id="L-1", quantity="两")
        assert "unknown product L-1" in submit(sim, "/_sim/page/buy", product_id="L-1")
        assert "unknown order_no" in submit(sim, "/_sim/page/refund", order_id="WM0")


def test_the_douyin_page_shows_platform_codes_with_share_links_and_refunds_them(
    rx: tuple[Receiver, str],
) -> None:
    receiver_, target = rx
    product = {
        "sku_id": "sku-2",
        "title": "双人午市套餐",
        "poi_ids": ["poi-1"],
        "original_amount": 20000,
        "pay_amount": 15800,
        "uses": 2,
    }
    with TestClient(douyin_app(DouyinSimConfig(target_base_url=target))) as sim:
        sim.post("/_sim/douyin/products", json=product).raise_for_status()
        page = sim.get("/").text
        assert "抖音来客模拟器" in page
        assert "双人午市套餐" in page
        assert "每份 2 张" in page
        page = submit(sim, "/_sim/page/buy", product_id="sku-2", quantity="1")
        order = sim.get("/_sim/state").json()["orders"][0]
        codes = [c["code"] for c in order["codes"]]
        assert len(codes) == 2
        assert [status(page, c) for c in codes] == ["未使用", "未使用"]
        for item in order["codes"]:
            assert item["share_link"] in page
        page = submit(sim, "/_sim/page/refund", order_id=order["order_id"])
        assert [status(page, c) for c in codes] == ["已退款", "已退款"]
        webhooks = receiver_.of("webhook")
        assert [w["body"]["event"] for w in webhooks] == ["life_trade_certificate_notify"] * 2
        assert "life_trade_certificate_notify" in section(page, PUSHES)


def test_the_meituan_page_shows_consumes_reversals_and_refunds() -> None:
    key, secret, session, shop = "mt-demo-key", "mt-demo-secret", "mt-demo-session", "mt-shop-1"

    def call(sim: TestClient, path: str, **params: str) -> Any:
        form = signed_params(
            key, secret, session, {"open_shop_uuid": shop, **params}, datetime.now(UTC)
        )
        return sim.post(f"/router/tuangou/receipt/{path}", data=form).json()

    deal = {"deal_id": "800", "title": "四人聚餐", "open_shop_uuids": [shop], "price_fen": 39900}
    with TestClient(meituan_app(MeituanSimConfig())) as sim:
        sim.post("/_sim/meituan/products", json=deal).raise_for_status()
        page = submit(sim, "/_sim/page/buy", product_id="800", quantity="2")
        assert "美团/大众点评模拟器" in page
        assert "不向商家系统推送消息" in page
        first, second = sim.get("/_sim/state").json()["orders"][0]["codes"]
        assert call(sim, "consume", receipt_code=first, requestid="r1", count="1")["code"] == 200
        page = sim.get("/").text
        assert (status(page, first), status(page, second)) == ("已核销", "未使用")
        calls = section(page, CALLS)
        assert "验券 consume" in calls
        assert "******" + first[-4:] in calls
        assert call(sim, "reverseconsume", receipt_code=first, app_deal_id="800")["code"] == 200
        assert status(sim.get("/").text, first) == "已撤销"

        page = submit(
            sim,
            "/_sim/page/refund",
            order_id=sim.get("/_sim/state").json()["orders"][0]["order_id"],
        )
        assert (status(page, first), status(page, second)) == ("已退款", "已退款")
        refused = call(sim, "prepare", receipt_code=second)
        assert (refused["code"], refused["msg"]) == (404, "券码已退款")
