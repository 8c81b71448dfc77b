"""Checkout, reopen (反结账) and receipts through the Terminal API, as in the seed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import FakeClock
from tests.helpers import must_redeem

Order = Callable[..., dict[str, Any]]

SEED_MEMBER = {
    "card_no": "469658366010495662",
    "phone": "18112344469",
    "balance_fen": 40894,
    "points_earned": 284,
    "points_total": 681,
}


def _checkout(
    client: Any, auth: dict[str, str], order_id: int, *tenders: dict[str, Any], **extra: Any
) -> Any:
    return client.post(
        f"/api/v1/orders/{order_id}/checkout",
        json={"tenders": list(tenders), **extra},
        headers=auth,
    )


def test_seed_bill_member_card_plus_voucher_closes_and_prints(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    order = new_order()
    must_redeem(client, auth, demo["codes"]["cash"][0], order["id"])
    response = _checkout(
        client,
        auth,
        order["id"],
        {"type": "member_card", "amount_fen": 18400, "member": SEED_MEMBER},
        cashier="系统管理员",
    )
    assert response.status_code == 200, response.text
    closed = response.json()
    assert (closed["status"], closed["due_fen"], closed["paid_fen"]) == ("closed", 0, 18400)
    assert closed["tenders"][0]["member"]["phone"] == "181****4469"  # never stored in full
    text = client.get(f"/api/v1/orders/{order['id']}/receipt?format=text&width=80", headers=auth)
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    for expected in (
        "右姑娘火锅(皇岗 店)",
        "结账单",
        "台位:S001",
        "人数:10",
        "收银:系统管理员",
        "第1次打印",
        "服务费: 1.00",
        "订单金额: 284.00",
        "应付金额: 284.00",
        "会员卡: 184.00",
        "票券x1: 100.00",
        "卡号: 469658366010495662",
        "手机号码: 181****4469",
        "卡内余额:408.94",
        "本次积分:284",
        "累计积分:681",
        "谢谢惠顾,欢迎下次光临!",
    ):
        assert expected in text.text
    again = client.get(f"/api/v1/orders/{order['id']}/receipt", headers=auth)
    assert "第2次打印" in again.text
    pdf = client.get(f"/api/v1/orders/{order['id']}/receipt?format=pdf", headers=auth)
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    escpos = client.get(
        f"/api/v1/orders/{order['id']}/receipt?format=escpos&width=58", headers=auth
    )
    assert escpos.headers["content-type"] == "application/octet-stream"
    assert escpos.content.startswith(b"\x1b@")


def test_cash_gives_change_and_short_tenders_are_refused(
    client: Any, auth: dict[str, str], new_order: Order
):
    order = new_order()
    short = _checkout(client, auth, order["id"], {"type": "cash", "amount_fen": 28000})
    assert short.status_code == 422
    assert short.json()["error"]["message"] == "支付金额不足,还差4.00元"
    over_card = _checkout(
        client, auth, order["id"], {"type": "wechat", "amount_fen": 30000, "reference": "wx1"}
    )
    assert over_card.json()["error"]["code"] == "tender_exceeds_due"
    ok = _checkout(client, auth, order["id"], {"type": "cash", "amount_fen": 30000})
    assert (ok.status_code, ok.json()["change_fen"]) == (200, 1600)
    twice = _checkout(client, auth, order["id"], {"type": "cash", "amount_fen": 30000})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "order_closed")


@pytest.mark.parametrize(
    "tender",
    [
        {"type": "cash", "amount_fen": 284.0},
        {"type": "cash", "amount_fen": "28400"},
        {"type": "cash", "amount_fen": -1},
        {"type": "bitcoin", "amount_fen": 28400},
        {"type": "wechat", "amount_fen": 28400},
        {"type": "member_card", "amount_fen": 28400},
    ],
)
def test_bad_tenders_get_clear_422(client: Any, auth: dict[str, str], new_order: Order, tender):
    response = _checkout(client, auth, new_order()["id"], tender)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_fully_covered_bill_closes_without_tenders(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
):
    order = new_order(
        lines=[{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 1, "unit_price_fen": 1990}],
        service_fee_fen=0,
    )
    must_redeem(client, auth, demo["codes"]["deduction"][0], order["id"])
    closed = _checkout(client, auth, order["id"])
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")


def test_reopen_gives_vouchers_back_inside_the_window_only(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, clock: FakeClock
):
    order = new_order()
    code = demo["codes"]["cash"][0]
    must_redeem(client, auth, code, order["id"])
    assert (
        _checkout(client, auth, order["id"], {"type": "cash", "amount_fen": 18400}).status_code
        == 200
    )
    reopened = client.post(f"/api/v1/orders/{order['id']}/reopen", headers=auth)
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["due_fen"]) == ("open", 28400)
    assert (
        client.post(
            "/api/v1/vouchers/prepare", json={"code": code, "order_id": order["id"]}, headers=auth
        ).status_code
        == 200
    )
    must_redeem(client, auth, code, order["id"])
    assert (
        _checkout(client, auth, order["id"], {"type": "cash", "amount_fen": 18400}).status_code
        == 200
    )
    clock.advance(minutes=61)
    late = client.post(f"/api/v1/orders/{order['id']}/reopen", headers=auth)
    assert late.status_code == 409
    assert late.json()["error"]["message"] == "核销已超过60分钟,不能反结账退券"
    assert client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["status"] == "closed"


def test_receipt_of_an_open_order_is_refused(client: Any, auth: dict[str, str], new_order: Order):
    response = client.get(f"/api/v1/orders/{new_order()['id']}/receipt", headers=auth)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_closed")
