"""Douyin end to end: merchant codes (三方码) issued by our SPI and synced by the worker, and
platform codes (抖音券) verified with Douyin at the counter, against the Douyin simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import FakeClock
from tests.helpers import buy_douyin, douyin_codes, platform_listing, redeem
from tests.platforms.flows.conftest import DOUYIN_KEY, DOUYIN_SECRET, sim_clock_follows
from voucherbridge.platforms.douyin.signing import signed_spi_query

API = "/api/admin/v1"
POI = "7001000000001"  # the demo binding of 皇岗店 (see services/demo.py)
BREAD_ORDER = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]


def _listing(client: Any, admin: dict[str, str], **match: Any) -> dict[str, Any]:
    listings = client.get(f"{API}/listings", headers=admin).json()
    return next(li for li in listings if all(li[k] == v for k, v in match.items()))


def _platform_listing(client: Any, admin: dict[str, str], sku_id: str) -> dict[str, Any]:
    return platform_listing(
        client,
        admin,
        "douyin",
        sku_id,
        name="抖音100元代金券",
        title="抖音 100元代金券",
        per_order_limit=5,
    )


def _spi(
    live: str, name: str, payload: dict[str, Any], *, now_ms: int, secret: str = DOUYIN_SECRET
):
    body = json.dumps(payload).encode()
    query, headers = signed_spi_query(DOUYIN_KEY, secret, body, now_ms)
    return httpx.post(
        f"{live}/hooks/douyin/spi/{name}",
        params=query,
        content=body,
        headers={**headers, "content-type": "application/json"},
    )


# ---- merchant codes ----------------------------------------------------------------------------
def test_merchant_codes_issued_by_spi_redeemed_and_synced_once(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
):
    listing = _listing(client, admin, platform="douyin", code_type="merchant")
    bought = buy_douyin(
        douyin,
        poi_id=POI,
        third_sku_id=listing["public_id"],
        count=2,
        code_type="merchant",
        title="法棍泡芙-抖音福利",
    )
    assert bought["status"] == "issued"
    codes = douyin_codes(bought)
    assert len(codes) == 2
    assert all(c.startswith("D") for c in codes)

    order = new_order(lines=BREAD_ORDER)
    redeemed = redeem(client, auth, codes[0], order["id"])
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["discount_fen"] == 1990

    verify = "/goodlife/v1/fulfilment/certificate/verify/"
    # Douyin applies the first call but its answer is lost, then it is down for our retries.
    douyin.post("/_sim/faults", json={"path": verify, "kind": "after_commit_503", "count": 1})
    douyin.post("/_sim/faults", json={"path": verify, "kind": "http_503", "count": 2})
    first = deliver()
    assert (first.delivered, first.retried) == (0, 1)  # the answer was lost: retry later
    clock.advance(minutes=10)
    second = deliver()
    assert (second.delivered, second.retried) == (1, 0)
    clock.advance(minutes=10)
    assert deliver().delivered == 0
    state = douyin.get("/_sim/state").json()
    uses = [v for v in state["verifications"] if v["code"] == codes[0]]
    assert len(uses) == 1  # applied once, however many times we asked


def test_spi_replay_returns_the_same_codes_and_bad_signatures_change_nothing(
    client: Any, admin: dict[str, str], live: str, clock: FakeClock
):
    listing = _listing(client, admin, platform="douyin", code_type="merchant")
    payload = {
        "order_id": "1090000000000000001",
        "count": 3,
        "sku": {"sku_id": "s1", "third_sku_id": listing["public_id"], "sku_name": "法棍泡芙"},
        "open_id": "o-1",
    }
    now_ms = int(clock.now.timestamp() * 1000)
    first = _spi(live, "issue", payload, now_ms=now_ms)
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (data["error_code"], data["result"], len(data["certificates"])) == (0, 1, 3)
    again = _spi(live, "issue", payload, now_ms=now_ms + 10_000)
    assert again.json()["data"]["certificates"] == data["certificates"]

    tampered = _spi(
        live,
        "issue",
        {**payload, "order_id": "1090000000000000002"},
        now_ms=now_ms,
        secret="not-the-secret",
    )
    # Douyin's SPI rule: HTTP 200, a non-zero data.error_code and 验签失败
    refused = {"data": {"error_code": 11004, "description": "验签失败"}}
    assert (tampered.status_code, tampered.json()) == (200, refused)
    stale = _spi(
        live, "issue", {**payload, "order_id": "1090000000000000003"}, now_ms=now_ms - 600_000
    )
    assert (stale.status_code, stale.json()) == (200, refused)


def test_refund_voids_unused_codes_and_refuses_a_used_one(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    live: str,
    clock: FakeClock,
):
    listing = _listing(client, admin, platform="douyin", code_type="merchant")
    now_ms = int(clock.now.timestamp() * 1000)
    order_id = "1090000000000000010"
    issued = _spi(
        live,
        "issue",
        {"order_id": order_id, "count": 2, "sku": {"third_sku_id": listing["public_id"]}},
        now_ms=now_ms,
    ).json()["data"]["certificates"]
    used, unused = issued[0]["code"], issued[1]["code"]
    order = new_order(lines=BREAD_ORDER)
    assert redeem(client, auth, used, order["id"]).status_code == 201

    refused = _spi(
        live,
        "refund-apply",
        {"order_id": order_id, "after_sale_id": "a1", "codes": [used, unused]},
        now_ms=now_ms,
    )
    assert refused.json()["data"]["result"] == 2  # a used code cannot be refunded
    agreed = _spi(
        live,
        "refund-apply",
        {"order_id": order_id, "after_sale_id": "a2", "codes": [unused]},
        now_ms=now_ms,
    )
    assert agreed.json()["data"]["result"] == 1
    other = new_order(lines=BREAD_ORDER)
    voided = redeem(client, auth, unused, other["id"])
    assert (voided.status_code, voided.json()["error"]["code"]) == (409, "voucher_voided")


# ---- platform codes ----------------------------------------------------------------------------
def test_platform_codes_verified_with_douyin_several_in_one_scan(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
):
    _platform_listing(client, admin, "sku-100")
    bought = buy_douyin(
        douyin,
        poi_id=POI,
        sku_id="sku-100",
        count=3,
        code_type="platform",
        title="100元代金券",
        original_amount=10000,
        pay_amount=6000,
    )
    # The consumer shows the order's QR (a v.douyin.com short link): every unused voucher.
    code = "https://v.douyin.com/" + bought["order_short_link"].rsplit("/", 1)[-1]
    order = new_order()

    prepared = client.post(
        "/api/v1/vouchers/prepare", json={"code": code, "order_id": order["id"]}, headers=auth
    )
    assert prepared.status_code == 200, prepared.text
    assert (prepared.json()["discount_fen"], prepared.json()["available_count"]) == (10000, 3)
    assert douyin.get("/_sim/state").json()["verifications"] == []  # prepare changes nothing

    body = {"code": code, "order_id": order["id"], "count": 2}
    redeemed = client.post("/api/v1/redemptions", json=body, headers=auth)
    assert redeemed.status_code == 201, redeemed.text
    lines = redeemed.json()["redemptions"]
    assert [r["discount_fen"] for r in lines] == [10000, 10000]
    assert len({r["code"] for r in lines}) == 2
    assert {r["code"] for r in lines} < {c["code"] for c in bought["codes"]}
    assert len(douyin.get("/_sim/state").json()["verifications"]) == 2

    again = client.post("/api/v1/redemptions", json=body, headers=auth)  # the double Enter
    assert again.status_code == 200
    assert again.json()["id"] == redeemed.json()["id"]
    assert len(douyin.get("/_sim/state").json()["verifications"]) == 2
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["due_fen"] == order["due_fen"] - 20000


def test_platform_code_answers_map_to_the_catalogue_and_down_means_nothing_written(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
):
    _platform_listing(client, admin, "sku-200")
    bought = buy_douyin(douyin, poi_id=POI, sku_id="sku-200", count=1, code_type="platform")
    code = douyin_codes(bought)[0]
    order = new_order()
    unknown = redeem(client, auth, "620000000000001", order["id"])
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "voucher_not_found")

    douyin.post("/_sim/faults", json={"path": "/goodlife/*", "kind": "http_503", "count": 10})
    down = redeem(client, auth, code, order["id"])
    assert (down.status_code, down.json()["error"]["code"]) == (503, "platform_unavailable")
    assert down.json()["error"]["message"] == "抖音暂时无法验券,请稍后重试"
    douyin.delete("/_sim/faults")
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["due_fen"]
        == (order["due_fen"])
    )

    ok = redeem(client, auth, code, order["id"])
    assert ok.status_code == 201
    other = new_order()
    used = redeem(client, auth, code, other["id"])
    assert used.status_code == 409
    assert used.json()["error"]["code"] == "voucher_already_redeemed"


def test_reverse_a_platform_code_inside_the_hour_and_not_after_61_minutes(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    clock: FakeClock,
):
    _platform_listing(client, admin, "sku-300")
    sim_clock_follows(douyin, clock)
    codes = douyin_codes(
        buy_douyin(douyin, poi_id=POI, sku_id="sku-300", count=2, code_type="platform")
    )
    order = new_order()
    first = redeem(client, auth, codes[0], order["id"]).json()
    reversed_ = client.post(f"/api/v1/redemptions/{first['id']}/reverse", headers=auth)
    assert (reversed_.status_code, reversed_.json()["status"]) == (200, "reversed")
    state = douyin.get("/_sim/state").json()
    assert [v["cancelled_at"] is not None for v in state["verifications"]] == [True]
    again = redeem(client, auth, codes[0], order["id"])
    assert again.status_code == 201  # usable again, on Douyin and with us

    late = redeem(client, auth, codes[1], order["id"]).json()
    clock.advance(minutes=61)
    sim_clock_follows(douyin, clock)
    refused = client.post(f"/api/v1/redemptions/{late['id']}/reverse", headers=auth)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "核销已超过60分钟,不能反结账退券"


def test_a_reopen_that_douyin_half_refuses_is_an_alert_until_the_next_reopen_finishes(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
):
    _platform_listing(client, admin, "sku-400")
    codes = douyin_codes(
        buy_douyin(douyin, poi_id=POI, sku_id="sku-400", count=2, code_type="platform")
    )
    order = new_order()
    for code in codes:
        redeemed = redeem(client, auth, code, order["id"])
        assert redeemed.status_code == 201, redeemed.text
    due = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["due_fen"]
    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": due}]},
        headers=auth,
    )
    assert paid.status_code == 200, paid.text

    # Douyin takes the first cancel, then is down for the second (and every retry of it)
    cancel = "/goodlife/v1/fulfilment/certificate/cancel/"
    douyin.post("/_sim/faults", json={"path": cancel, "kind": "http_503", "count": 50, "skip": 1})
    refused = client.post(f"/api/v1/orders/{order['id']}/reopen", json={}, headers=auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "platform_unavailable")
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["status"] == "closed"  # our books did not move...
    cancelled = [
        v["cancelled_at"] is not None for v in douyin.get("/_sim/state").json()["verifications"]
    ]
    assert cancelled == [True, False]  # ...while Douyin has one code back: the merchant is told
    # (other alerts, e.g. redemptions outside opening hours, depend on when the suite runs)
    alerts = client.get(f"{API}/alerts", headers=admin).json()["alerts"]
    [alert] = [a for a in alerts if a["kind"] == "platform_out_of_step"]
    assert alert["detail"]["order_id"] == order["id"]
    assert len(alert["detail"]["cancelled"]) == 1

    douyin.delete("/_sim/faults")
    reopened = client.post(f"/api/v1/orders/{order['id']}/reopen", json={}, headers=auth)
    assert reopened.status_code == 200, reopened.text  # the first cancel again is a no-op
    assert reopened.json()["status"] == "open"
    cancelled = [
        v["cancelled_at"] is not None for v in douyin.get("/_sim/state").json()["verifications"]
    ]
    assert cancelled == [True, True]
    alerts = client.get(f"{API}/alerts", headers=admin).json()["alerts"]
    assert [a for a in alerts if a["kind"] == "platform_out_of_step"] == []
