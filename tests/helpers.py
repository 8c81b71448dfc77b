"""One way for tests to sign in, open an order, redeem a code, buy codes at a platform simulator
and wait for something to happen.

Every helper takes the HTTP client to call through: FastAPI's `TestClient` (an `httpx.Client`)
or an `httpx.Client` on a real port. Helpers named after an outcome (`admin_headers`,
`open_order`, `must_redeem`, `redeem_on_new_order`, `buy_*`) assert it and return what the
caller needs; `admin_login` and `redeem` return the response untouched, for tests about the
refusals. `wait_until` replaces fixed sleeps: it polls a condition, with a deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import httpx

ADMIN_API = "/api/admin/v1"
DEMO_POI = "7001000000001"  # the demo binding of 皇岗店 to Douyin
Headers = dict[str, str]
T = TypeVar("T")


# ---- signing in --------------------------------------------------------------------------------
def bearer(token: str) -> Headers:
    """The Authorization header for a terminal key or a console token."""
    return {"Authorization": f"Bearer {token}"}


def terminal_headers(key: str) -> Headers:
    """What a till sends with every Terminal API call."""
    return bearer(key)


def admin_login(
    client: httpx.Client, username: str, password: str, **headers: str
) -> httpx.Response:
    """One sign-in attempt at the admin API, answered as it is."""
    return client.post(
        f"{ADMIN_API}/login", json={"username": username, "password": password}, headers=headers
    )


def admin_headers(client: httpx.Client, username: str, password: str) -> Headers:
    """Sign in to the admin API (which must succeed); the console token's header."""
    response = admin_login(client, username, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


def demo_admin_headers(
    client: httpx.Client,
    demo: dict[str, Any],
    account: Literal["console", "store_manager"] = "console",
) -> Headers:
    """Sign in as the demo's HQ admin (`console`) or its 皇岗店 manager (`store_manager`)."""
    person = demo[account]
    return admin_headers(client, person["user"], person["password"])


# ---- the counter -------------------------------------------------------------------------------
def open_order(
    client: httpx.Client, headers: Headers, lines: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    """Open an order at the till (which must succeed); the order's JSON."""
    response = client.post("/api/v1/orders", json={**fields, "lines": lines}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def redeem(
    client: httpx.Client, headers: Headers, code: str, order_id: int, **extra: Any
) -> httpx.Response:
    """Redeem `code` on the order (`extra` goes into the body), answered as it is."""
    return client.post(
        "/api/v1/redemptions",
        json={"code": code, "order_id": order_id, **extra},
        headers=headers,
    )


def must_redeem(
    client: httpx.Client, headers: Headers, code: str, order_id: int, **extra: Any
) -> dict[str, Any]:
    """Redeem `code` on the order (which must succeed); the redemption's JSON."""
    response = redeem(client, headers, code, order_id, **extra)
    assert response.status_code == 201, response.text
    return dict(response.json())


def redeem_on_new_order(
    client: httpx.Client, headers: Headers, code: str, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """Open an order of `lines` and redeem `code` on it (both must succeed); the redemption."""
    return must_redeem(client, headers, code, open_order(client, headers, lines)["id"])


# ---- the console's pages -----------------------------------------------------------------------
def console_login(
    client: httpx.Client, username: str = "admin", password: str = "hotpot-hq-demo"
) -> None:
    """Signs in to the console (the demo's HQ admin unless told otherwise); the session cookie
    stays on `client`."""
    response = client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def csrf_in(html: str) -> str:
    """The CSRF token every console page carries in its forms."""
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "every console page carries the session's CSRF token"
    return match.group(1)


# ---- buying at the platform simulators ----------------------------------------------------------
def demo_listing(client: httpx.Client, admin: Headers, platform: str) -> dict[str, Any]:
    """The demo's merchant-code listing on `platform` (on the mall, the 100元 cash voucher)."""
    listings = client.get(f"{ADMIN_API}/listings", headers=admin).json()
    return dict(
        next(
            li
            for li in listings
            if (li["platform"], li["code_type"]) == (platform, "merchant")
            and (platform != "weimall" or "100" in li["title"])
        )
    )


def buy_douyin_merchant_codes(
    douyin: httpx.Client, client: httpx.Client, admin: Headers, *, count: int = 1
) -> list[str]:
    """A consumer buys `count` of the demo's Douyin merchant-code listing at 皇岗店; the codes
    we issued for it."""
    listing = demo_listing(client, admin, "douyin")
    bought = buy_douyin(
        douyin,
        poi_id=DEMO_POI,
        third_sku_id=listing["public_id"],
        count=count,
        code_type="merchant",
    )
    assert bought["status"] == "issued", bought
    return douyin_codes(bought)


def sim_fault(sim: httpx.Client, path: str, **fault: Any) -> None:
    """The simulator's next calls to `path` fail as `fault` says (kind, biz_code, count)."""
    sim.post("/_sim/faults", json={"path": path, **fault}).raise_for_status()


def buy_weimall(
    weimall: httpx.Client,
    coupon_id: str,
    *,
    quantity: int = 2,
    store_id: str = "wm-store-1",
    openid: str | None = None,
) -> dict[str, Any]:
    """A guest (`openid`: the buyer's WeChat id, if the mall knows it) buys `quantity` of the
    micro-mall coupon; the mall's order, codes issued."""
    purchase = {"store_id": store_id, "coupon_id": coupon_id, "quantity": quantity}
    if openid is not None:
        purchase["openid"] = openid
    bought = weimall.post("/_sim/weimall/purchases", json=purchase)
    assert bought.status_code == 200, bought.text
    order = bought.json()
    assert order["status"] == "issued", order
    return dict(order)


def buy_douyin(
    douyin: httpx.Client, *, poi_id: str, count: int, code_type: str, **fields: Any
) -> dict[str, Any]:
    """A consumer's Douyin order at `poi_id` (`fields`: sku_id or third_sku_id, title,
    amounts...); the simulator's order JSON, whose `codes` hold the vouchers."""
    bought = douyin.post(
        "/_sim/douyin/orders",
        json={"poi_id": poi_id, "count": count, "code_type": code_type, **fields},
    )
    assert bought.status_code == 200, bought.text
    return dict(bought.json())


def douyin_codes(order: dict[str, Any]) -> list[str]:
    """The voucher codes of a Douyin order from `buy_douyin`."""
    return [c["code"] for c in order["codes"]]


def buy_meituan(
    meituan: httpx.Client, deal_id: str, *, count: int = 1, **receipt: Any
) -> list[str]:
    """A consumer buys `count` 美团团购券 of `deal_id` at 皇岗店's Meituan shop (a 100元
    voucher for ¥59.9, 30 days, unless `receipt` says otherwise); their codes."""
    bought = meituan.post(
        "/_sim/meituan/receipts",
        json={
            "open_shop_uuid": "mt-shop-1",
            "deal_id": deal_id,
            "title": "100元代金券",
            "price_yuan": "59.9",
            "market_price_yuan": "100",
            "count": count,
            "valid_days": 30,
            **receipt,
        },
    )
    assert bought.status_code == 200, bought.text
    return list(bought.json()["codes"])


# ---- waiting -----------------------------------------------------------------------------------
def wait_until(
    predicate: Callable[[], T],
    *,
    timeout_s: float = 10.0,
    interval_s: float = 0.05,
    message: str = "",
) -> T:
    """Call `predicate` every `interval_s` until it returns something truthy, and return that;
    fail with `message` when it has not within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not reached within {timeout_s} s")
        time.sleep(interval_s)


# The seed manual's bill (seed 000): beers, a 王老吉, a soup base sold by the 条, 1 yuan service.
SEED_ORDER: dict[str, Any] = {
    "table": "S001",
    "guests": 10,
    "lines": [
        {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 2, "unit_price_fen": 1800},
        {"item_code": "WLJ01", "name": "王老吉", "quantity": 1, "unit_price_fen": 4800},
        {
            "item_code": "SOUP01",
            "name": "凉瓜黄豆汤底",
            "quantity": 1,
            "unit_price_fen": 19900,
            "unit": "条",
        },
    ],
    "service_fee_fen": 100,
}


def platform_listing(
    client: httpx.Client,
    admin: Headers,
    platform: str,
    product: str,
    *,
    name: str = "100元代金券",
    title: str | None = None,
    price_fen: int = 6000,
    per_order_limit: int = 1,
) -> dict[str, Any]:
    """A 100-yuan cash template listed for a platform's product (codes the platform issues)."""
    cash = client.post(
        "/api/admin/v1/templates",
        headers=admin,
        json={
            "kind": "cash",
            "name": name,
            "face_value_fen": 10000,
            "price_fen": price_fen,
            "validity_mode": "relative",
            "valid_days": 30,
            "per_order_limit": per_order_limit,
        },
    )
    assert cash.status_code == 201, cash.text
    listing = client.post(
        "/api/admin/v1/listings",
        headers=admin,
        json={
            "template_id": cash.json()["id"],
            "platform": platform,
            "code_type": "platform",
            "title": title or name,
            "platform_product_id": product,
        },
    )
    assert listing.status_code == 201, listing.text
    return dict(listing.json())
