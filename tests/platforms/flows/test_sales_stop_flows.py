"""Disabling a listing or a template stops new sales only (seed 002: deleting an old 团购 strands
the buyers who have not used their codes), and Douyin binding of an account that has not opened
group-buy (团购未开启) says so in words a merchant can act on: our service and the micro-mall
and Douyin simulators over real HTTP on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import (
    buy_douyin,
    buy_weimall,
    demo_listing,
    douyin_codes,
    platform_listing,
    redeem,
)

API = "/api/admin/v1"
SOUP_ORDER = [
    {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}
]
POI = "7001000000001"  # the demo binding of 皇岗店 to Douyin
ACCOUNT = "7100000000000000001"  # the demo merchant's 抖音来客 account (the simulator's own)
GROUPBUY_ZH = "该抖音账号尚未开通团购功能,请先在抖音来客开通团购后再绑定"


def _refused_purchase(weimall: httpx.Client, coupon_id: str) -> dict[str, Any]:
    """A guest tries to buy; the mall keeps our refusal and issues no code."""
    bought = weimall.post(
        "/_sim/weimall/purchases",
        json={"store_id": "wm-store-1", "coupon_id": coupon_id, "quantity": 1},
    )
    assert bought.status_code == 200, bought.text
    order = bought.json()
    assert order["status"] != "issued", order
    assert not order.get("codes"), order
    return dict(order)


def test_a_code_sold_before_disabling_still_redeems_and_a_new_purchase_is_refused(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
) -> None:
    listing = demo_listing(client, admin, "weimall")
    sold = buy_weimall(weimall, listing["public_id"], quantity=2)["codes"]

    off = client.patch(f"{API}/listings/{listing['id']}", headers=admin, json={"active": False})
    assert (off.status_code, off.json()["active"]) == (200, False)

    done = redeem(client, auth, sold[0], new_order(lines=SOUP_ORDER)["id"])
    assert done.status_code == 201, done.text
    assert done.json()["discount_fen"] == 10000
    refused = _refused_purchase(weimall, listing["public_id"])
    answers = [a["answer"] for a in refused.get("attempts", []) if a.get("answer")]
    assert answers, refused
    assert all(a["code"] == 40401 for a in answers), refused

    back = client.patch(f"{API}/listings/{listing['id']}", headers=admin, json={"active": True})
    assert back.status_code == 200
    assert buy_weimall(weimall, listing["public_id"], quantity=1)["codes"]
    still = redeem(client, auth, sold[1], new_order(lines=SOUP_ORDER)["id"])
    assert still.status_code == 201, still.text


def test_a_disabled_template_stops_the_sales_of_its_listings_not_its_sold_codes(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
) -> None:
    listing = demo_listing(client, admin, "weimall")
    [code] = buy_weimall(weimall, listing["public_id"], quantity=1)["codes"]
    template = f"{API}/templates/{listing['template_id']}"
    assert client.patch(template, headers=admin, json={"active": False}).status_code == 200

    _refused_purchase(weimall, listing["public_id"])
    done = redeem(client, auth, code, new_order(lines=SOUP_ORDER)["id"])
    assert done.status_code == 201, done.text


def _bind_douyin(client: Any, admin: dict[str, str]) -> Any:
    return client.post(
        f"{API}/bindings",
        headers=admin,
        json={"store_id": 1, "platform": "douyin", "platform_store_id": POI, "account_id": ACCOUNT},
    )


def test_douyin_binding_of_an_account_without_group_buy_says_to_open_it_first(
    client: Any, admin: dict[str, str], douyin: httpx.Client
) -> None:
    douyin.post("/_sim/douyin/pois", json={"poi_id": POI, "poi_name": "皇岗店"}).raise_for_status()
    closed = douyin.post("/_sim/groupbuy", json={"account_id": ACCOUNT, "open": False})
    assert closed.json() == {"account_id": ACCOUNT, "open": False}

    refused = _bind_douyin(client, admin)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == ("binding_groupbuy_not_open", GROUPBUY_ZH)
    english = client.post(
        f"{API}/bindings",
        headers={**admin, "Accept-Language": "en"},
        json={"store_id": 1, "platform": "douyin", "platform_store_id": POI, "account_id": ACCOUNT},
    )
    assert "has not opened group-buy" in english.json()["error"]["message"]
    asked = douyin.get("/_sim/requests", params={"path": "/goodlife/v1/shop/poi/query/"}).json()
    assert asked, "the refusal is Douyin's answer to the POI query, over HTTP"
    rows = client.get(f"{API}/bindings", headers=admin).json()
    [row] = [b for b in rows if (b["store_id"], b["platform"]) == (1, "douyin")]
    assert row["last_error"] == "binding_groupbuy_not_open"

    # the console's binding form says the same, in the page's words
    login = {"username": "admin", "password": "hotpot-hq-demo"}
    assert client.post("/console/login", data=login, follow_redirects=False).status_code == 303
    page = client.get("/console/bindings").text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match
    form = {
        "csrf": match.group(1),
        "store_id": "1",
        "platform": "douyin",
        "platform_store_id": POI,
        "account_id": ACCOUNT,
    }
    shown = client.post("/console/bindings", data=form)
    assert GROUPBUY_ZH in shown.text

    douyin.post("/_sim/groupbuy", json={"account_id": ACCOUNT, "open": True}).raise_for_status()
    bound = _bind_douyin(client, admin)
    assert (bound.status_code, bound.json()["status"]) == (201, "bound"), bound.text


def test_douyin_platform_codes_sold_before_disabling_their_listing_still_redeem(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
) -> None:
    listing = platform_listing(client, admin, "douyin", "sku-stop", name="抖音100元代金券")
    bought = buy_douyin(
        douyin,
        poi_id=POI,
        sku_id="sku-stop",
        count=1,
        code_type="platform",
        title="100元代金券",
        original_amount=10000,
        pay_amount=6000,
    )
    off = client.patch(f"{API}/listings/{listing['id']}", headers=admin, json={"active": False})
    assert off.status_code == 200
    stop = client.get(f"{API}/listings/{listing['id']}/sales-stop", headers=admin).json()
    assert stop["platform_codes"] is True  # Douyin holds them: the page says to delist there

    [code] = douyin_codes(bought)
    done = redeem(client, auth, code, new_order(lines=SOUP_ORDER)["id"])
    assert done.status_code == 201, done.text
    assert done.json()["discount_fen"] == 10000
