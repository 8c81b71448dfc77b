"""The simulators call our inbound routes the way the platforms do, over real HTTP: every SPI
and webhook message the Douyin simulator sends (issue, refund-apply, refund-notice,
order-status; certificate messages verify / verify_cancel / refund_success, duplicated) and the
micro-mall's test ping each get the platform's success answer, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import DEMO_POI, buy_douyin, demo_listing, douyin_codes, platform_listing, redeem

API = "/api/admin/v1"
BREAD_ORDER = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]


def _accepted_by_douyin(attempt: dict[str, Any]) -> None:
    """HTTP 200 and ``data.error_code`` 0: what Douyin takes as done (no resend)."""
    assert attempt["status_code"] == 200, attempt
    assert attempt["ok"], attempt
    assert attempt["answer"]["data"]["error_code"] == 0, attempt


def test_every_spi_the_douyin_simulator_sends_is_answered_with_success(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    live: str,
):
    listing = demo_listing(client, admin, "douyin")
    order = buy_douyin(
        douyin, poi_id=DEMO_POI, third_sku_id=listing["public_id"], count=2, code_type="merchant"
    )
    assert order["status"] == "issued", order
    used, unused = douyin_codes(order)
    assert redeem(client, auth, used, new_order(lines=BREAD_ORDER)["id"]).status_code == 201

    asked = douyin.post("/_sim/douyin/order-status", json={"order_ids": [order["order_id"]]})
    _accepted_by_douyin(asked.json())
    assert order["order_id"] in asked.json()["answer"]["data"]["result"]

    refund = douyin.post("/_sim/douyin/refunds", json={"order_id": order["order_id"]}).json()
    assert refund["status"] == "rejected", refund  # a used code cannot be refunded
    refund = douyin.post(
        "/_sim/douyin/refunds", json={"order_id": order["order_id"], "codes": [unused]}
    ).json()
    assert refund["status"] == "agreed", refund
    pushes = douyin.get("/_sim/pushes").json()
    names = [p["name"] for p in pushes if p["kind"] == "spi"]
    assert set(names) == {"issue", "order_status", "refund_apply", "refund_notice"}
    for attempt in pushes:
        _accepted_by_douyin(attempt)
    voided = redeem(client, auth, unused, new_order(lines=BREAD_ORDER)["id"])
    assert (voided.status_code, voided.json()["error"]["code"]) == (409, "voucher_voided")


def test_every_webhook_the_douyin_simulator_sends_is_acknowledged(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    live: str,
):
    platform_listing(
        client,
        admin,
        "douyin",
        "sku-hook",
        name="抖音100元代金券",
        title="抖音 100元代金券",
        per_order_limit=5,
    )
    bought = buy_douyin(douyin, poi_id=DEMO_POI, sku_id="sku-hook", count=2, code_type="platform")
    redeemed_code, refunded_code = douyin_codes(bought)
    done = redeem(client, auth, redeemed_code, new_order()["id"])  # verify
    assert done.status_code == 201, done.text
    reversed_ = client.post(f"/api/v1/redemptions/{done.json()['id']}/reverse", headers=auth)
    assert reversed_.status_code == 200, reversed_.text  # verify_cancel
    refund = douyin.post(
        "/_sim/douyin/refunds", json={"order_id": bought["order_id"], "codes": [refunded_code]}
    )
    assert refund.status_code == 200, refund.text  # refund_success

    queued = douyin.get("/_sim/douyin/webhooks").json()
    actions = sorted(m["content"]["action"] for m in queued)
    assert actions == ["refund_success", "verify", "verify_cancel"]
    flushed = douyin.post("/_sim/douyin/webhooks/flush", json={"duplicate": True}).json()
    assert (flushed["delivered"], flushed["failed"], flushed["still_queued"]) == (3, 0, 0)
    assert [r["status_code"] for r in flushed["results"]] == [200] * 6


def test_the_malls_test_ping_is_answered_with_success(
    demo: dict[str, Any], weimall: httpx.Client, live: str
):
    del demo  # 皇岗店 is bound to the mall's demo store, whose secret signs the ping
    sent = weimall.post("/_sim/weimall/ping", json={}).json()
    assert (sent["status_code"], sent["ok"]) == (200, True)
    assert sent["answer"] == {"code": 0, "msg": "success", "data": {}}
