"""What the printed 结账单 says about the bill, through the Terminal API on both backends: no
invented member figures (卡内余额 0.00, 积分 0), 收银 is the operator, no empty 台位 or 人数:0,
and an API line without a unit takes its catalogue item's (凉瓜黄豆汤底 is counted in 条)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader

from tests.helpers import demo_admin_headers, must_redeem
from voucherbridge.core import csrf

ADMIN = "/api/admin/v1"
Order = Callable[..., dict[str, Any]]
SOUP = {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}


def _pay(
    client: Any, headers: dict[str, str], order: dict[str, Any], *tenders: Any, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": list(tenders), **extra},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _receipt(client: Any, headers: dict[str, str], order: dict[str, Any], width: int = 80) -> str:
    response = client.get(
        f"/api/v1/orders/{order['id']}/receipt?format=text&width={width}", headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.text)


def test_a_member_card_with_only_its_number_prints_no_balance_or_points(
    client: Any, auth: dict[str, str], new_order: Order
) -> None:
    order = new_order()
    card = {"type": "member_card", "amount_fen": 28400, "member": {"card_no": "469658366010495662"}}
    closed = _pay(client, auth, order, card)
    assert closed["tenders"][0]["member"] == {"card_no": "469658366010495662", "phone": ""}
    for width in (58, 80):
        text = _receipt(client, auth, order, width)
        assert "会员卡: 284.00" in text
        assert "卡号: 469658366010495662" in text
        for invented in ("卡内余额", "本次积分", "累计积分", "手机号码", "0.00 本次"):
            assert invented not in text, (width, invented, text)
    base = f"/api/v1/orders/{order['id']}/receipt"
    escpos = client.get(f"{base}?format=escpos&width=58&preview=true", headers=auth).content
    assert "卡号: 469658366010495662".encode("gb18030") in escpos
    assert "卡内余额".encode("gb18030") not in escpos
    assert "积分".encode("gb18030") not in escpos
    pdf = client.get(f"{base}?format=pdf&preview=true", headers=auth).content
    words = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "469658366010495662" in words
    assert "卡内余额" not in words
    assert "积分" not in words


def test_a_member_card_prints_exactly_the_figures_the_pos_reported(
    client: Any, auth: dict[str, str], new_order: Order
) -> None:
    order = new_order()
    member = {"card_no": "469658366010495662", "phone": "18112344469", "balance_fen": 0}
    _pay(client, auth, order, {"type": "member_card", "amount_fen": 28400, "member": member})
    text = _receipt(client, auth, order)
    assert "卡号: 469658366010495662 手机号码: 181****4469" in text.splitlines()
    assert "卡内余额:0.00" in text.splitlines()  # a real zero balance, as the POS said
    assert "积分" not in text

    other = new_order()
    points = {"card_no": "88", "points_earned": 284, "points_total": 681}
    _pay(client, auth, other, {"type": "member_card", "amount_fen": 28400, "member": points})
    text = _receipt(client, auth, other)
    assert "本次积分:284 累计积分:681" in text.splitlines()
    assert "卡内余额" not in text


def test_cashier_is_the_name_the_pos_sends_else_the_till(
    client: Any, auth: dict[str, str], new_order: Order, demo: dict[str, Any]
) -> None:
    named = new_order()
    _pay(client, auth, named, {"type": "cash", "amount_fen": 30000}, cashier="  王小二 ")
    assert "收银:王小二" in _receipt(client, auth, named)

    unnamed = new_order()
    closed = _pay(client, auth, unnamed, {"type": "cash", "amount_fen": 30000}, cashier="")
    admin = demo_admin_headers(client, demo)
    tills = {t["name"] for t in client.get(f"{ADMIN}/terminals", headers=admin).json()}
    assert closed["cashier"] in tills  # the till's own name, never an empty 收银
    assert f"收银:{closed['cashier']}" in _receipt(client, auth, unnamed)


def test_cashier_is_the_signed_in_users_name_on_the_cashier_page(
    client: Any, container: Any, demo: dict[str, Any]
) -> None:
    admin = demo_admin_headers(client, demo)
    store_id = client.get(f"{ADMIN}/stores", headers=admin).json()[0]["id"]
    created = client.post(
        f"{ADMIN}/users",
        headers=admin,
        json={
            "username": "xiaoli",
            "password": "cashier-pass-1",
            "display_name": "李小丽",
            "role": "cashier",
            "store_ids": [store_id],
        },
    )
    assert created.status_code == 201, created.text
    client.cookies.clear()
    form = {"username": "xiaoli", "password": "cashier-pass-1"}
    assert client.post("/cashier/login", data=form, follow_redirects=False).status_code == 303
    token = csrf.token_for(container.settings.secret_key, client.cookies["vb_cashier"])
    page = {"X-CSRF-Token": token}
    opened = client.post("/api/v1/orders", json={"lines": [SOUP]}, headers=page)
    assert opened.status_code == 201, opened.text
    # What the page (or a copied request) claims as cashier does not replace who signed in.
    _pay(client, page, opened.json(), {"type": "cash", "amount_fen": 19900}, cashier="别人")
    text = _receipt(client, page, opened.json())
    assert "收银:李小丽" in text
    assert "别人" not in text


def test_no_table_and_no_guests_leave_their_fields_off(
    client: Any, auth: dict[str, str], demo: dict[str, Any]
) -> None:
    opened = client.post("/api/v1/orders", json={"lines": [SOUP]}, headers=auth)
    assert opened.status_code == 201, opened.text
    order = opened.json()
    assert (order["table"], order["guests"]) == ("", 0)
    must_redeem(client, auth, demo["codes"]["cash"][0], order["id"])
    _pay(client, auth, order, {"type": "cash", "amount_fen": 9900})
    for width in (58, 80):
        text = _receipt(client, auth, order, width)
        assert "台位" not in text
        assert "人数" not in text
        assert f"单号:{order['order_no']}" in text
        assert "票券x1: 100.00" in text


def test_table_and_guests_print_when_the_bill_has_them(
    client: Any, auth: dict[str, str], new_order: Order
) -> None:
    order = new_order(table="A07", guests=3)
    _pay(client, auth, order, {"type": "cash", "amount_fen": 30000})
    text = _receipt(client, auth, order)
    assert "台位:A07" in text.splitlines()
    assert "人数:3" in text


def test_an_api_line_without_a_unit_takes_the_catalogue_items_unit(
    client: Any, auth: dict[str, str]
) -> None:
    lines = [
        SOUP,
        {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 2, "unit_price_fen": 1800},
        {"item_code": "NOT-IN-CATALOGUE", "name": "临时菜", "quantity": 1, "unit_price_fen": 500},
        {**SOUP, "item_code": "SOUP01", "unit": "锅"},  # a unit the till sends is kept
    ]
    opened = client.post("/api/v1/orders", json={"lines": lines}, headers=auth)
    assert opened.status_code == 201, opened.text
    order = opened.json()
    assert [ln["unit"] for ln in order["lines"]] == ["条", "份", "份", "锅"]
    _pay(client, auth, order, {"type": "cash", "amount_fen": 50000})
    text = _receipt(client, auth, order)
    assert "1 条" in text
    assert "2 份" in text
    assert "1 锅" in text
