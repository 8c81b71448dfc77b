"""Admin API for bindings and the outbox, through HTTP."""

from __future__ import annotations

from typing import Any

from tests.factories import FakeClock
from tests.helpers import admin_headers, demo_admin_headers, redeem
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.service import DeliveryFailed, deliver_due


def test_failed_delivery_is_listed_and_retried_by_hand(
    client: Any,
    demo: dict[str, Any],
    auth: dict[str, str],
    new_order: Any,
    container: Container,
    clock: FakeClock,
):
    order = new_order()
    redeem(client, auth, demo["codes"]["cash"][0], order["id"])

    def down(row: Any) -> None:
        raise DeliveryFailed("weimall answered 50001", permanent=True)

    deliver_due(container.uow, {"platform:weimall": down}, clock)
    admin = demo_admin_headers(client, demo)
    listing = client.get("/api/admin/v1/outbox?status=dead", headers=admin).json()
    assert listing["counts"] == {"dead": 1}
    [row] = listing["rows"]
    assert (row["destination"], row["last_error"]) == ("platform:weimall", "weimall answered 50001")
    retried = client.post(f"/api/admin/v1/outbox/{row['id']}/retry", headers=admin)
    assert (retried.status_code, retried.json()["status"]) == (200, "pending")
    again = client.post(f"/api/admin/v1/outbox/{row['id']}/retry", headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "outbox_not_dead")
    manager = admin_headers(client, "huanggang", "store-lead-demo")
    assert client.get("/api/admin/v1/outbox", headers=manager).status_code == 403


def test_binding_is_not_bound_until_the_platform_answers(client: Any, demo: dict[str, Any]):
    admin = demo_admin_headers(client, demo)
    new = {"name": "右姑娘火锅(车公庙店)"}
    store = client.post("/api/admin/v1/stores", headers=admin, json=new)
    assert store.status_code == 201, store.text
    for store_id in (store.json()["id"], 1):  # a store not bound yet; 皇岗店, bound by the demo
        response = client.post(
            "/api/admin/v1/bindings",
            headers=admin,
            json={
                "store_id": store_id,
                "platform": "weimall",
                "platform_store_id": "JWL-1001",
                "secret": "vb-demo-secret",
            },
        )
        assert response.status_code in (422, 503)  # no platform answered: never "bound"
    rows = {
        b["store_id"]: b
        for b in client.get("/api/admin/v1/bindings", headers=admin).json()
        if b["platform"] == "weimall"
    }
    fresh = rows[store.json()["id"]]
    assert (fresh["status"], fresh["platform_store_id"]) == ("failed", "JWL-1001")
    assert "secret" not in fresh
    # a working binding is not replaced by an attempt the platform did not accept
    assert (rows[1]["status"], rows[1]["platform_store_id"]) == ("bound", "wm-store-1")
