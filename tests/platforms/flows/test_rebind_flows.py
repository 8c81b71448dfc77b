"""Re-binding a working store (更换平台密钥) against the simulators: a wrong secret, an unknown
platform store id or a platform that is down is answered with the platform's error, and the
store's binding keeps working — 已绑定 with the old platform store id, the mall's purchases still
issue codes, the till still redeems the codes sold before. A new secret takes effect once its
test call passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import DEMO_POI, buy_douyin, buy_weimall, demo_listing, douyin_codes, redeem

API = "/api/admin/v1"
PING = "/open/v1/ping"
SOUP_ORDER = [
    {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}
]
BREAD_ORDER = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]


def _bind(client: Any, admin: dict[str, str], platform: str, ref: str, secret: str) -> Any:
    return client.post(
        f"{API}/bindings",
        headers=admin,
        json={"store_id": 1, "platform": platform, "platform_store_id": ref, "secret": secret},
    )


def _binding(client: Any, admin: dict[str, str], platform: str) -> dict[str, Any]:
    rows = client.get(f"{API}/bindings", headers=admin).json()
    [row] = [b for b in rows if (b["store_id"], b["platform"]) == (1, platform)]
    return dict(row)


def _console_cell(client: Any, platform: str) -> tuple[str, str]:
    """What the console's binding grid shows for 皇岗店 × `platform`: (label, store id)."""
    page = client.get("/console/bindings")
    assert page.status_code == 200, page.text
    row = re.search(r'<tr data-store-id="1">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    cell = re.search(rf'<td data-platform="{platform}"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert cell, row.group(1)
    label = re.search(r'<span class="label">([^<]*)</span>', cell.group(1))
    ref = re.search(r"<code>([^<]*)</code>", cell.group(1))
    assert label
    return label.group(1), ref.group(1) if ref else ""


def test_a_wrong_secret_leaves_the_mall_binding_working_until_a_new_one_passes(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
):
    mall_store = {"store_id": "wm-store-71", "secret": "secret-one", "name": "皇岗店(微商城)"}
    weimall.post("/_sim/weimall/stores", json=mall_store).raise_for_status()
    bound = _bind(client, admin, "weimall", "wm-store-71", "secret-one")
    assert bound.status_code == 201, bound.text
    listing = demo_listing(client, admin, "weimall")["public_id"]
    sold_before = buy_weimall(weimall, listing, quantity=2, store_id="wm-store-71")["codes"]

    # a wrong secret, a platform store id the mall does not know, the mall down for the call
    weimall.post("/_sim/weimall/stores", json={**mall_store, "store_id": "wm-store-72"})
    refused = [
        (_bind(client, admin, "weimall", "wm-store-71", "wrong-secret"), 422, "binding_rejected"),
        (_bind(client, admin, "weimall", "wm-store-404", "secret-one"), 422, "binding_rejected"),
    ]
    weimall.post("/_sim/faults", json={"path": PING, "kind": "http_503", "count": 50})
    refused.append(
        (_bind(client, admin, "weimall", "wm-store-72", "secret-one"), 503, "platform_unavailable")
    )
    weimall.delete("/_sim/faults").raise_for_status()
    for response, status, code in refused:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert refused[0][0].json()["error"]["message"] == "微商城绑定失败:门店 id 或密钥错误"

    # the console form answers the same, and the grid still shows the working binding
    login = client.post(
        "/console/login",
        data={"username": "admin", "password": "hotpot-hq-demo"},
        follow_redirects=False,
    )
    assert login.status_code == 303
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/bindings").text)
    assert csrf
    form = client.post(
        "/console/bindings",
        data={
            "csrf": csrf.group(1),
            "store_id": "1",
            "platform": "weimall",
            "platform_store_id": "wm-store-71",
            "secret": "another-wrong-one",
        },
    )
    assert form.status_code == 422
    assert "微商城绑定失败:门店 id 或密钥错误" in form.text
    assert _console_cell(client, "weimall") == ("已绑定", "wm-store-71")

    kept = _binding(client, admin, "weimall")
    assert (kept["status"], kept["status_label"]) == ("bound", "已绑定")
    assert kept["platform_store_id"] == "wm-store-71"
    assert kept["bound_at"] == bound.json()["bound_at"]
    assert kept["last_error"] == "binding_rejected"  # the last failed attempt is noted

    # the mall's purchases still issue codes, the till still redeems the codes sold before
    after = buy_weimall(weimall, listing, quantity=1, store_id="wm-store-71")["codes"]
    assert len(after) == 1
    done = redeem(client, auth, sold_before[0], new_order(lines=SOUP_ORDER)["id"])
    assert done.status_code == 201, done.text
    assert done.json()["discount_fen"] == 10000

    # the mall rotates the store's secret; the new one passes its test call and takes effect
    weimall.post("/_sim/weimall/stores", json={**mall_store, "secret": "secret-two"})
    rebound = _bind(client, admin, "weimall", "wm-store-71", "secret-two")
    assert rebound.status_code == 201, rebound.text
    assert (rebound.json()["status"], rebound.json()["last_error"]) == ("bound", None)
    assert _console_cell(client, "weimall") == ("已绑定", "wm-store-71")
    newer = buy_weimall(weimall, listing, quantity=1, store_id="wm-store-71")["codes"]
    assert len(newer) == 1
    for code in (sold_before[1], after[0], newer[0]):
        again = redeem(client, auth, code, new_order(lines=SOUP_ORDER)["id"])
        assert again.status_code == 201, (code, again.text)


def test_a_douyin_rebind_refused_keeps_the_binding_verifying_spis(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    live: str,
):
    """Douyin is one app that the merchant authorizes: a re-bind names the authorizing
    account, never a secret; one refused by Douyin changes nothing that works."""
    listing = demo_listing(client, admin, "douyin")["public_id"]

    def buy(count: int) -> list[str]:
        order = buy_douyin(
            douyin, poi_id=DEMO_POI, third_sku_id=listing, count=count, code_type="merchant"
        )
        assert order["status"] == "issued", order
        return douyin_codes(order)

    sold_before = buy(1)
    with_secret = _bind(client, admin, "douyin", DEMO_POI, "a-secret-douyin-never-gave")
    assert (with_secret.status_code, with_secret.json()["error"]["code"]) == (
        422,
        "validation_error",
    )
    assert with_secret.json()["error"]["details"]["field"] == "secret"

    stranger = client.post(
        f"{API}/bindings",
        headers=admin,
        json={
            "store_id": 1,
            "platform": "douyin",
            "platform_store_id": DEMO_POI,
            "account_id": "7100000000000000999",
        },
    )
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (
        409,
        "binding_unauthorized",
    )
    assert stranger.json()["error"]["message"] == (
        "商家尚未在抖音授权本应用,请在抖音商家后台完成授权后重新绑定"
    )
    kept = _binding(client, admin, "douyin")
    assert (kept["status_label"], kept["platform_store_id"]) == ("已绑定", DEMO_POI)
    assert kept["last_error"] == "binding_unauthorized"

    # Douyin's issue SPI (signed with our app's secret) still issues codes; the till redeems
    after = buy(1)
    for code in (*sold_before, *after):
        done = redeem(client, auth, code, new_order(lines=BREAD_ORDER)["id"])
        assert done.status_code == 201, (code, done.text)

    # the merchant's own account re-binds, and the binding records it
    mine = client.post(
        f"{API}/bindings",
        headers=admin,
        json={
            "store_id": 1,
            "platform": "douyin",
            "platform_store_id": DEMO_POI,
            "account_id": "7100000000000000001",
        },
    )
    assert mine.status_code == 201, mine.text
    assert (mine.json()["account_id"], mine.json()["last_error"]) == ("7100000000000000001", None)
    login = {"username": "admin", "password": "hotpot-hq-demo"}
    assert client.post("/console/login", data=login, follow_redirects=False).status_code == 303
    assert "授权账户 <code>7100000000000000001</code>" in client.get("/console/bindings").text
