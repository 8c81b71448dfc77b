"""Open bills (挂单/取单) and changing an open bill's lines through the Terminal API, on SQLite
and PostgreSQL: own store only, another store's 404, a closed bill refused, and a total that
may never fall below the vouchers already on the bill."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.helpers import demo_admin_headers, must_redeem, terminal_headers

Order = Callable[..., dict[str, Any]]
ADMIN = "/api/admin/v1"


def _till_at(client: Any, demo: dict[str, Any], *, same_store: bool) -> dict[str, str]:
    """A second till: at 皇岗店 (the demo till's store) or at the chain's other store."""
    hq = demo_admin_headers(client, demo)
    stores = client.get(f"{ADMIN}/stores", headers=hq).json()
    store_id = next(s["id"] for s in stores if (s["name"] == "皇岗店") == same_store)
    made = client.post(
        f"{ADMIN}/terminals", json={"store_id": store_id, "name": "2号收银台"}, headers=hq
    )
    assert made.status_code == 201, made.text
    return terminal_headers(made.json()["key"])


def _open_bills(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/orders", params={"status": "open"}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def test_open_bills_of_the_store_with_table_guests_time_due_and_vouchers(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    first = new_order(table="A01", guests=2)
    second = new_order(table="B02", guests=4)
    paid = new_order(table="C03")
    code = demo["codes"]["cash"][0]
    must_redeem(client, auth, code, first["id"])
    closed = client.post(
        f"/api/v1/orders/{paid['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": paid["due_fen"]}]},
        headers=auth,
    )
    assert closed.status_code == 200, closed.text

    bills = _open_bills(client, auth)
    assert [b["id"] for b in bills] == [first["id"], second["id"]]  # oldest first, no closed
    held = bills[0]
    assert (held["table"], held["guests"], held["order_no"]) == ("A01", 2, first["order_no"])
    assert held["opened_at"].endswith("+08:00")  # the merchant's zone
    assert (held["total_fen"], held["discount_fen"], held["due_fen"]) == (28400, 10000, 18400)
    assert [(v["code"], v["discount_fen"]) for v in held["vouchers"]] == [(code, 10000)]
    assert bills[1]["vouchers"] == []

    # another till of the same store sees them; a till of the other store sees none of them
    assert [b["id"] for b in _open_bills(client, _till_at(client, demo, same_store=True))] == [
        first["id"],
        second["id"],
    ]
    assert _open_bills(client, _till_at(client, demo, same_store=False)) == []
    unknown = client.get("/api/v1/orders", params={"status": "closed"}, headers=auth)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/orders", params={"status": "open"}).status_code == 401


def test_an_open_bills_lines_change_and_units_come_from_the_catalogue(
    client: Any, auth: dict[str, str], new_order: Order
):
    order = new_order()
    lines = [
        {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 4, "unit_price_fen": 1800},
        {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900},
    ]
    changed = client.put(f"/api/v1/orders/{order['id']}/lines", json={"lines": lines}, headers=auth)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [(ln["line_no"], ln["quantity"], ln["unit"]) for ln in body["lines"]] == [
        (1, 4, "份"),
        (3, 1, "条"),  # each line keeps its number (王老吉, line 2, is gone)
    ]
    assert (body["total_fen"], body["due_fen"]) == (7200 + 19900 + 100, 7200 + 19900 + 100)
    again = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert again["lines"] == body["lines"]

    empty = client.put(f"/api/v1/orders/{order['id']}/lines", json={"lines": []}, headers=auth)
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "validation_error"


def test_lines_of_another_stores_or_a_closed_bill_are_refused(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    order = new_order()
    line = {"item_code": "WLJ01", "name": "王老吉", "quantity": 1, "unit_price_fen": 4800}
    other = client.put(
        f"/api/v1/orders/{order['id']}/lines",
        json={"lines": [line]},
        headers=_till_at(client, demo, same_store=False),
    )
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "order_not_found"
    missing = client.put("/api/v1/orders/999999/lines", json={"lines": [line]}, headers=auth)
    assert missing.json()["error"]["code"] == "order_not_found"

    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": order["due_fen"]}]},
        headers=auth,
    )
    assert paid.status_code == 200, paid.text
    closed = client.put(f"/api/v1/orders/{order['id']}/lines", json={"lines": [line]}, headers=auth)
    assert closed.status_code == 409
    assert closed.json()["error"] == {
        **closed.json()["error"],
        "code": "order_closed",
        "message": "消费单已结账,不能再修改",
    }
    assert client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["total_fen"] == 28400


def test_the_total_never_falls_below_the_vouchers_on_the_bill(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    order = new_order()
    must_redeem(client, auth, demo["codes"]["cash"][0], order["id"])  # 100.00 off
    small = [{"item_code": "WLJ01", "name": "王老吉", "quantity": 1, "unit_price_fen": 4800}]
    path = f"/api/v1/orders/{order['id']}/lines"
    refused = client.put(path, json={"lines": small}, headers=auth)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "order_total_below_vouchers"
    assert error["message"] == (
        "修改后消费合计49.00元,低于本单已核销票券抵扣的100.00元,请先撤销票券"
    )
    english = client.put(path, json={"lines": small}, headers={**auth, "Accept-Language": "en"})
    assert english.json()["error"]["message"].startswith("The new total of 49.00 yuan")
    kept = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert (kept["total_fen"], len(kept["lines"])) == (28400, 3)

    enough = [{**small[0], "quantity": 3}]  # 144.00 + 1.00 service fee: still above 100.00
    allowed = client.put(path, json={"lines": enough}, headers=auth)
    assert allowed.status_code == 200, allowed.text
    assert (allowed.json()["total_fen"], allowed.json()["due_fen"]) == (14500, 4500)


def test_a_line_an_item_voucher_took_from_keeps_its_number_and_cannot_go(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    beer = {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 2, "unit_price_fen": 1800}
    dish = {"item_code": "DISH01", "name": "鱼香肉丝", "quantity": 1, "unit_price_fen": 3800}
    soup = {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}
    order = new_order(lines=[beer, dish, soup], service_fee_fen=0)
    must_redeem(client, auth, demo["codes"]["item"][0], order["id"])  # takes 鱼香肉丝, line 2
    path = f"/api/v1/orders/{order['id']}/lines"

    wlj = {"item_code": "WLJ01", "name": "王老吉", "quantity": 1, "unit_price_fen": 4800}
    kept = client.put(path, json={"lines": [{**dish, "quantity": 2}, soup, wlj]}, headers=auth)
    assert kept.status_code == 200, kept.text  # the beer gone: the dish keeps its line 2
    assert [(ln["line_no"], ln["item_code"]) for ln in kept.json()["lines"]] == [
        (2, "DISH01"),
        (3, "SOUP01"),
        (4, "WLJ01"),
    ]
    assert kept.json()["discount_fen"] == 3800

    for without_the_dish in ([soup, wlj], [{**dish, "unit_price_fen": 1000}, soup]):
        refused = client.put(path, json={"lines": without_the_dish}, headers=auth)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "order_line_has_voucher"
        assert refused.json()["error"]["message"] == (
            "「鱼香肉丝」已由票券抵扣,不能删除或减少,请先撤销该票券"
        )
    assert len(client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["lines"]) == 3
