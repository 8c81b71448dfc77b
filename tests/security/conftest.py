"""The two-tenant world shared by the API and page tenancy matrices."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_merchant
from tests.helpers import admin_headers, demo_admin_headers, open_order, redeem, terminal_headers
from tests.security._tenancy import B_HQ, B_LINE, B_PASSWORD, LINE
from voucherbridge.bootstrap import Container
from voucherbridge.chain.users import create_user
from voucherbridge.core.actor import Actor


@pytest.fixture
def world(client: Any, demo: dict[str, Any], container: Container) -> dict[str, Any]:
    """A's objects (an order with a redemption, a template, a listing...) and B's credentials."""
    a_hq = demo_admin_headers(client, demo)
    a_till = terminal_headers(demo["terminal_key"])
    order = open_order(client, a_till, [LINE])["id"]
    redeemed = redeem(client, a_till, demo["codes"]["cash"][0], order)
    assert redeemed.status_code == 201, redeemed.text
    stores = {s["name"]: s["id"] for s in client.get("/api/admin/v1/stores", headers=a_hq).json()}
    terminals = client.get("/api/admin/v1/terminals", headers=a_hq).json()
    users = client.get("/api/admin/v1/users", headers=a_hq).json()
    other = make_merchant(container, name="别家烧烤")
    b_actor = Actor(0, other.merchant_id, "setup", "hq_admin", None)
    create_user(
        container.uow(write=True),
        actor=b_actor,
        username=B_HQ,
        password=B_PASSWORD,
        role="hq_admin",
        now=container.clock(),
    )
    b_till = terminal_headers(other.terminal_key)
    b_order = open_order(client, b_till, [B_LINE])["id"]
    return {
        "order": order,
        "redemption": redeemed.json()["id"],
        "code": demo["codes"]["cash"][1],
        "store1": stores["皇岗店"],
        "store2": stores["福田店"],
        "terminal1": next(t["id"] for t in terminals if t["store_id"] == stores["皇岗店"]),
        "terminal2": next(t["id"] for t in terminals if t["store_id"] == stores["福田店"]),
        "user": next(u["id"] for u in users if u["username"] == demo["console"]["user"]),
        "template": client.get("/api/admin/v1/templates", headers=a_hq).json()[0]["id"],
        "listing": client.get("/api/admin/v1/listings", headers=a_hq).json()[0]["id"],
        "outbox": 1,
        "a_hq": a_hq,
        "a_till": a_till,
        "a_till2": terminal_headers(demo["terminal_keys"]["福田店"]),
        "manager": demo_admin_headers(client, demo, "store_manager"),
        "b_till": b_till,
        "b_hq": admin_headers(client, B_HQ, B_PASSWORD),
        "b_order": b_order,
    }
