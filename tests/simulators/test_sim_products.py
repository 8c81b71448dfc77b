"""Each simulator knows the merchant's products: ``POST /_sim/<platform>/products`` upserts them
by id (one object or a list), ``GET`` lists them, and ``.../products/<id>/buy`` runs the
platform's own purchase flow with the product's fields and answers what that flow answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.simulators.simtools import Receiver, receiver
from voucherbridge.platforms.meituan.signing import signed_params
from voucherbridge_sims.douyin.simulator import DouyinSimConfig
from voucherbridge_sims.douyin.simulator import create_app as douyin_app
from voucherbridge_sims.meituan.simulator import MeituanSimConfig
from voucherbridge_sims.meituan.simulator import create_app as meituan_app
from voucherbridge_sims.weimall.simulator import WeimallSimConfig
from voucherbridge_sims.weimall.simulator import create_app as weimall_app

COUPON = {
    "coupon_id": "L-100",
    "title": "100元代金券",
    "store_id": "wm-store-1",
    "unit_price_fen": 8800,
    "face_value_fen": 10000,
}
PLATFORM_SKU = {
    "sku_id": "sku-p",
    "title": "双人套餐(2次)",
    "code_type": "platform",
    "poi_ids": ["poi-1", "poi-2"],
    "groupon_type": 3,
    "original_amount": 30000,
    "pay_amount": 19900,
    "valid_days": 7,
    "uses": 2,
}
MERCHANT_SKU = {
    "sku_id": "sku-m",
    "title": "50元代金券",
    "code_type": "merchant",
    "third_sku_id": "L-50",
    "poi_ids": ["poi-1"],
    "original_amount": 5000,
    "pay_amount": 3900,
}
DEAL = {
    "deal_id": "700200",
    "title": "单人自助餐",
    "open_shop_uuids": ["mt-shop-1", "mt-shop-2"],
    "price_fen": 5990,
    "market_price_fen": 8800,
    "valid_days": 10,
}


@pytest.fixture
def rx() -> Iterator[tuple[Receiver, str]]:
    with receiver() as found:
        yield found


def test_products_are_upserted_by_id_from_one_object_or_a_list() -> None:
    with TestClient(weimall_app(WeimallSimConfig())) as sim:
        second = {**COUPON, "coupon_id": "L-200", "title": "200元代金券"}
        kept = sim.post("/_sim/weimall/products", json=[COUPON, second])
        assert kept.status_code == 200
        assert [p["coupon_id"] for p in kept.json()] == ["L-100", "L-200"]
        again = sim.post("/_sim/weimall/products", json={**COUPON, "title": "百元券"}).json()
        assert again == [{**COUPON, "title": "百元券"}]
        listed = sim.get("/_sim/weimall/products").json()
        assert [(p["coupon_id"], p["title"]) for p in listed] == [
            ("L-100", "百元券"),
            ("L-200", "200元代金券"),
        ]
        without_store = {"coupon_id": "L-3", "title": "券", "unit_price_fen": 100}
        assert sim.post("/_sim/weimall/products", json=without_store).json()[0] == {
            **without_store,
            "store_id": "wm-store-1",
            "face_value_fen": None,
        }


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("weimall", {"title": "x", "unit_price_fen": 1}, "coupon_id is required"),
        ("weimall", {**COUPON, "unit_price_fen": -1}, "unit_price_fen must not be negative"),
        ("weimall", {**COUPON, "unit_price_fen": 1.5}, "unit_price_fen must be an integer"),
        ("douyin", {**MERCHANT_SKU, "third_sku_id": ""}, "third_sku_id is required"),
        ("douyin", {**PLATFORM_SKU, "code_type": "other"}, "code_type must be"),
        ("douyin", {**PLATFORM_SKU, "poi_ids": []}, "poi_ids must be a non-empty list"),
        ("douyin", {**PLATFORM_SKU, "uses": 0}, "uses must be 1..100"),
        ("meituan", {**DEAL, "code_length": 11}, "code_length must be 10 or 12"),
        ("meituan", {k: v for k, v in DEAL.items() if k != "price_fen"}, "price_fen is required"),
        ("meituan", [DEAL, "not an object"], "body must be a JSON object or a list"),
        ("meituan", [], "body must be a JSON object or a list"),
    ],
)
def test_a_product_that_does_not_fit_is_refused_and_nothing_is_kept(
    path: str, body: Any, error: str
) -> None:
    app = {"weimall": weimall_app, "douyin": douyin_app, "meituan": meituan_app}[path]()
    with TestClient(app) as sim:
        answer = sim.post(f"/_sim/{path}/products", json=body)
        assert answer.status_code == 400
        assert error in answer.json()["error"]
        assert sim.get(f"/_sim/{path}/products").json() == []


def test_buying_a_weimall_product_runs_the_purchase_push(rx: tuple[Receiver, str]) -> None:
    receiver_, target = rx
    with TestClient(weimall_app(WeimallSimConfig(target_base_url=target))) as sim:
        sim.post("/_sim/weimall/products", json=COUPON).raise_for_status()
        bought = sim.post("/_sim/weimall/products/L-100/buy", json={"quantity": 2, "openid": "o-9"})
        assert bought.status_code == 200
        order = bought.json()
        direct = sim.post("/_sim/weimall/purchases", json={"coupon_id": "L-100"}).json()
        assert set(order) == set(direct)  # the same flow, the same answer
        assert (order["status"], order["quantity"], order["unit_price_fen"]) == ("issued", 2, 8800)
        assert len(order["codes"]) == 2
        push = receiver_.of("VOUCHER_PURCHASED")[0]["body"]
        assert (push["coupon_id"], push["title"], push["quantity"]) == ("L-100", "100元代金券", 2)
        assert (push["unit_price_fen"], push["buyer"]["openid"]) == (8800, "o-9")
        codes = {c["code"]: c["status"] for c in sim.get("/_sim/weimall/codes").json()}
        assert all(codes[c] == "unused" for c in order["codes"])


def test_buying_refuses_an_unknown_product_a_bad_quantity_and_what_the_flow_refuses() -> None:
    with TestClient(weimall_app(WeimallSimConfig())) as sim:
        sim.post("/_sim/weimall/products", json={**COUPON, "store_id": "nowhere"})
        unknown = sim.post("/_sim/weimall/products/L-404/buy", json={})
        assert (unknown.status_code, unknown.json()) == (404, {"error": "unknown product L-404"})
        zero = sim.post("/_sim/weimall/products/L-100/buy", json={"quantity": 0})
        assert zero.status_code == 400
        assert zero.json()["error"] == "quantity must be a positive integer"
        too_many = sim.post("/_sim/weimall/products/L-100/buy", json={"quantity": 101})
        assert too_many.json() == {"error": "quantity must be 1..100"}  # the flow's own answer
        store = sim.post("/_sim/weimall/products/L-100/buy", json={"count": 1})
        assert (store.status_code, store.json()) == (404, {"error": "unknown store nowhere"})


def test_a_douyin_platform_product_puts_uses_times_quantity_codes_on_one_order() -> None:
    with TestClient(douyin_app(DouyinSimConfig())) as sim:
        sim.post("/_sim/douyin/products", json=PLATFORM_SKU).raise_for_status()
        order = sim.post("/_sim/douyin/products/sku-p/buy", json={"quantity": 2}).json()
        assert (order["count"], len(order["codes"])) == (4, 4)
        assert (order["sku_id"], order["pay_amount"], order["poi_ids"]) == (
            "sku-p",
            19900,
            ["poi-1", "poi-2"],
        )
        assert order["expire_time"] - order["start_time"] == 7 * 86400
        for code in order["codes"]:
            assert len(code["code"]) == 15
            short_id = code["short_link"].rsplit("/", 1)[-1]
            assert code["share_link"] == f"https://v.douyin.com/{short_id}/"
            assert sim.get(f"/s/{short_id}", follow_redirects=False).status_code == 302
        assert order["order_share_link"].startswith("https://v.douyin.com/")
        two = sim.post("/_sim/douyin/products/sku-p/buy", json={}).json()
        assert len(two["codes"]) == 2  # one unit of a 2-use product
        over = sim.post("/_sim/douyin/products/sku-p/buy", json={"quantity": 51})
        assert (over.status_code, over.json()) == (400, {"error": "count must be 1..100"})


def test_a_douyin_merchant_product_asks_our_issue_spi_for_the_codes(
    rx: tuple[Receiver, str],
) -> None:
    receiver_, target = rx
    with TestClient(douyin_app(DouyinSimConfig(target_base_url=target))) as sim:
        sim.post("/_sim/douyin/products", json=MERCHANT_SKU).raise_for_status()
        order = sim.post("/_sim/douyin/products/sku-m/buy", json={"count": 3}).json()
        issue = receiver_.of("issue")[0]["body"]
        assert (issue["count"], issue["sku"]["third_sku_id"], issue["sku"]["sku_id"]) == (
            3,
            "L-50",
            "sku-m",
        )
        assert issue["amount"] == {"original_amount": 15000, "pay_amount": 11700}
        assert order["status"] == "issued"
        assert [c["code"] for c in order["codes"]] == [
            f"D{order['order_id'][-8:]}{n}" for n in range(3)
        ]
    with TestClient(douyin_app(DouyinSimConfig())) as sim:
        sim.post("/_sim/douyin/products", json=MERCHANT_SKU).raise_for_status()
        nowhere = sim.post("/_sim/douyin/products/sku-m/buy", json={})
        assert nowhere.status_code == 409  # as /_sim/douyin/orders answers without a target


def test_a_meituan_deal_is_bought_as_one_receipt_group_at_its_price() -> None:
    with TestClient(meituan_app(MeituanSimConfig())) as sim:
        sim.post("/_sim/meituan/products", json=DEAL).raise_for_status()
        group = sim.post("/_sim/meituan/products/700200/buy", json={"count": 2}).json()
        assert set(group) == {"order_id", "deal_id", "qr_code", "codes", "receipt_end_date"}
        assert len(group["codes"]) == 2
        assert all(len(c) == 10 for c in group["codes"])
        params = {"receipt_code": group["codes"][0], "open_shop_uuid": "mt-shop-2"}
        form = signed_params(
            "mt-demo-key", "mt-demo-secret", "mt-demo-session", params, datetime.now(UTC)
        )
        prepared = sim.post("/router/tuangou/receipt/prepare", data=form).json()
        assert prepared["code"] == 200
        data = prepared["data"]
        assert (data["deal_title"], data["deal_price"], data["deal_marketprice"]) == (
            "单人自助餐",
            59.9,
            88.0,
        )
        assert (data["deal_id"], data["count"]) == (700200, 2)
        sim.post("/_sim/meituan/products", json={**DEAL, "deal_id": "700201", "code_length": 12})
        long = sim.post("/_sim/meituan/products/700201/buy", json={}).json()
        assert [len(c) for c in long["codes"]] == [12]
