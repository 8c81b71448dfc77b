"""The Terminal API contract (SPEC), end to end through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from tests.factories import FakeClock
from tests.helpers import must_redeem, open_order
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t

Order = Callable[..., dict[str, Any]]


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_create_and_get_order_totals_in_fen(client: Any, auth: dict[str, str], new_order: Order):
    order = new_order()
    assert order["total_fen"] == 28400  # 订单金额: 284.00, as on the seed's receipt
    assert order["due_fen"] == 28400
    assert order["status"] == "open"
    assert order["order_no"].endswith(f"{order['id']:06d}")
    fetched = client.get(f"/api/v1/orders/{order['id']}", headers=auth)
    assert fetched.status_code == 200
    assert [ln["amount_fen"] for ln in fetched.json()["lines"]] == [3600, 4800, 19900]


def test_prepare_tells_the_worth_and_changes_nothing(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, container: Container
):
    order = new_order()
    code = demo["codes"]["cash"][0]
    for _ in range(2):
        response = client.post(
            "/api/v1/vouchers/prepare", json={"code": code, "order_id": order["id"]}, headers=auth
        )
        assert response.status_code == 200
        body = response.json()
        assert body == {
            **body,
            "code": code,
            "platform": "weimall",
            "kind": "cash",
            "name": "100元代金券",
            "discount_fen": 10000,
            "redeemable": True,
        }
    assert _count(container, t.redemptions) == 0
    assert client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["due_fen"] == 28400


def test_redeem_then_replays_return_the_first_result(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, container: Container
):
    order = new_order()
    code = demo["codes"]["cash"][0]
    body = {"code": code, "order_id": order["id"]}
    headers = {**auth, "Idempotency-Key": "pos-42-0001"}
    first = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert first.status_code == 201, first.text
    redeemed = first.json()
    assert redeemed["discount_fen"] == 10000
    assert redeemed["code"] == code
    assert redeemed["redeemed_at"].endswith("+08:00")  # shown in the merchant's zone
    assert redeemed["name"].encode() in first.content  # Chinese as it is, not \\u-escaped
    retry = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert (retry.status_code, retry.json()) == (200, redeemed)
    assert retry.content == first.content  # the same bytes
    # The seed's double Enter: the same code again on the same order, no key at all.
    double_enter = client.post("/api/v1/redemptions", json=body, headers=auth)
    assert (double_enter.status_code, double_enter.json()["id"]) == (200, redeemed["id"])
    assert _count(container, t.redemptions) == 1
    after = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert after["due_fen"] == 18400
    assert [v["id"] for v in after["vouchers"]] == [redeemed["id"]]


def test_same_key_different_request_is_a_conflict(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    order = new_order()
    headers = {**auth, "Idempotency-Key": "k-1"}
    cash = demo["codes"]["cash"]
    assert (
        client.post(
            "/api/v1/redemptions", json={"code": cash[0], "order_id": order["id"]}, headers=headers
        ).status_code
        == 201
    )
    response = client.post(
        "/api/v1/redemptions", json={"code": cash[1], "order_id": order["id"]}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "idempotency_conflict",
        "message": "同一请求号的请求内容不一致",
        "details": {},
    }


def test_reverse_inside_window_makes_the_code_usable_again(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, clock: FakeClock
):
    code = demo["codes"]["cash"][0]
    first_order, second_order = new_order(), new_order()
    redeemed = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": first_order["id"]}, headers=auth
    ).json()
    clock.advance(minutes=59)
    response = client.post(
        f"/api/v1/redemptions/{redeemed['id']}/reverse",
        json={"reason": "客人改用现金"},
        headers=auth,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "reversed"
    again = client.post(f"/api/v1/redemptions/{redeemed['id']}/reverse", headers=auth)
    assert (again.status_code, again.json()["status"]) == (200, "reversed")
    assert (
        client.get(f"/api/v1/orders/{first_order['id']}", headers=auth).json()["due_fen"] == 28400
    )
    reused = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": second_order["id"]}, headers=auth
    )
    assert reused.status_code == 201


def test_reverse_after_window_is_refused_with_minutes(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, clock: FakeClock
):
    order = new_order()
    redeemed = client.post(
        "/api/v1/redemptions",
        json={"code": demo["codes"]["cash"][0], "order_id": order["id"]},
        headers=auth,
    ).json()
    clock.advance(minutes=61)
    response = client.post(f"/api/v1/redemptions/{redeemed['id']}/reverse", headers=auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reversal_window_closed"
    assert response.json()["error"]["message"] == "核销已超过60分钟,不能反结账退券"
    english = client.post(
        f"/api/v1/redemptions/{redeemed['id']}/reverse", headers={**auth, "Accept-Language": "en"}
    )
    assert english.json()["error"]["message"].startswith("Redeemed more than 60 minutes ago")


def test_other_merchant_cannot_see_or_redeem_our_codes(
    client: Any, demo: dict[str, Any], container: Container, new_order: Order
):
    from tests.factories import make_merchant

    other = make_merchant(container)
    headers = {"Authorization": f"Bearer {other.terminal_key}"}
    their_order = new_order(headers=headers)
    our_code = demo["codes"]["cash"][0]
    unknown = "J" + "1" * 14  # well-formed shape, fails the check digit or is simply unknown
    answers = []
    for code in (our_code, unknown):
        for path in ("/api/v1/vouchers/prepare", "/api/v1/redemptions"):
            r = client.post(
                path, json={"code": code, "order_id": their_order["id"]}, headers=headers
            )
            answers.append((r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]))
    assert {a[:3] for a in answers} == {(404, "voucher_not_found", "票券不存在")}
    assert _count(container, t.redemptions) == 0
    # Nor can they read our orders.
    ours = new_order()
    assert client.get(f"/api/v1/orders/{ours['id']}", headers=headers).status_code == 404


def test_keys_are_required_and_checked(client: Any, new_order: Order):
    assert client.post("/api/v1/orders", json={}).status_code == 401
    response = client.get("/api/v1/orders/1", headers={"Authorization": "Bearer vbt_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_voucher_takes_no_more_than_the_catalogue_price_whatever_the_till_types(
    client: Any, auth: dict[str, str], demo: dict[str, Any]
) -> None:
    """An item voucher took 1,000,000 yuan off because the till typed that unit price."""
    inflated = [
        {"item_code": "DISH01", "name": "鱼香肉丝", "quantity": 1, "unit_price_fen": 100_000_000}
    ]
    order = open_order(client, auth, inflated, table="A1", guests=2)
    code = demo["codes"]["item"][0]
    prepared = client.post(
        "/api/v1/vouchers/prepare", json={"code": code, "order_id": order["id"]}, headers=auth
    )
    assert prepared.status_code == 200, prepared.text
    assert prepared.json()["discount_fen"] == 3800  # 鱼香肉丝 costs 38.00 in the catalogue
    redeemed = must_redeem(client, auth, code, order["id"])
    assert redeemed["discount_fen"] == 3800
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert (shown["discount_fen"], shown["due_fen"]) == (3800, 100_000_000 - 3800)
