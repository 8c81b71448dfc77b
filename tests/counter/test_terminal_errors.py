"""Every catalogue error the core can raise, with its exact Chinese (and English) message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.factories import FakeClock, make_codes
from tests.helpers import redeem
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.db.tables import bindings
from voucherbridge.domain.vouchers import CodeStatus

Order = Callable[..., dict[str, Any]]
EN = {"Accept-Language": "en"}


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return dict(body["error"])


@pytest.mark.parametrize("code", ["NOPE", "J12345678901234", "X0000000000000", "   ", "券码"])
def test_unknown_codes_are_not_found(client: Any, auth: dict[str, str], new_order: Order, code):
    response = redeem(client, auth, code, new_order()["id"])
    assert response.status_code in (404, 422)
    if response.status_code == 404:
        assert _error(response) == {
            **_error(response),
            "code": "voucher_not_found",
            "message": "票券不存在",
        }


def test_item_voucher_without_its_dish(client, auth, demo, new_order):
    response = redeem(client, auth, demo["codes"]["item"][0], new_order()["id"])
    assert response.status_code == 422
    error = _error(response)
    assert (error["code"], error["message"]) == (
        "voucher_item_not_in_order",
        "订单中没有此券相关菜品,不能使用",
    )
    english = redeem(client, {**auth, **EN}, demo["codes"]["item"][0], new_order()["id"])
    assert _error(english)["message"] == "The order has no item this voucher applies to"


def test_store_not_applicable_names_store_and_code(client, auth, demo, new_order, container):
    with container.uow() as uow:
        stores = {s.name: s.id for s in uow.repo(StoreRepo).list(1)}
    [code] = make_codes(
        container,
        template={
            "kind": "cash",
            "name": "福田店专享券",
            "face_value_fen": 2000,
            "price_fen": 1000,
            "store_ids": [stores["福田店"]],
        },
    )
    response = redeem(client, auth, code, new_order()["id"])
    assert response.status_code == 422
    assert _error(response)["message"] == f"皇岗店不能使用该票券,票券【消费号{code}】不能使用!"


def test_already_redeemed_says_when_and_where(client, auth, demo, new_order, clock: FakeClock):
    code = demo["codes"]["cash"][0]
    assert redeem(client, auth, code, new_order()["id"]).status_code == 201
    local = clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    response = redeem(client, auth, code, new_order()["id"])
    assert response.status_code == 409
    assert _error(response)["message"] == f"票券已使用 ({local:%Y-%m-%d %H:%M}, 皇岗店)"


def test_expired_and_not_yet_valid(client, auth, demo, new_order, container, clock: FakeClock):
    future = clock.now.date() + timedelta(days=10)
    [later] = make_codes(
        container,
        template={
            "kind": "cash",
            "name": "下月券",
            "face_value_fen": 1000,
            "price_fen": 500,
            "validity_mode": "fixed",
            "valid_from": future.isoformat(),
            "valid_to": (future + timedelta(days=5)).isoformat(),
        },
    )
    response = redeem(client, auth, later, new_order()["id"])
    assert (response.status_code, _error(response)["message"]) == (422, "票券未到使用时间")
    clock.advance(days=91)  # the demo cash voucher lives 90 days
    response = redeem(client, auth, demo["codes"]["cash"][0], new_order()["id"])
    assert (_error(response)["code"], _error(response)["message"]) == (
        "voucher_expired",
        "票券已过期",
    )


def test_voided_code(client, auth, demo, new_order, container):
    code = demo["codes"]["cash"][2]
    with container.uow(write=True) as uow:
        found = uow.repo(CodeRepo).find(1, code)
        assert found is not None
        uow.repo(CodeRepo).compare_and_set(
            found.id, CodeStatus.ISSUED, CodeStatus.VOIDED, container.clock()
        )
        uow.commit()
    response = redeem(client, auth, code, new_order()["id"])
    assert (response.status_code, _error(response)["message"]) == (409, "票券已退款作废")


def test_min_spend_and_limit_per_order(client, auth, new_order, container):
    [big] = make_codes(
        container,
        template={
            "kind": "cash",
            "name": "满500减50",
            "face_value_fen": 5000,
            "price_fen": 0,
            "min_spend_fen": 50000,
        },
    )
    response = redeem(client, auth, big, new_order()["id"])
    assert _error(response)["message"] == "订单金额未满500.00元,不能使用该票券"
    first, second = make_codes(
        container,
        quantity=2,
        template={"kind": "cash", "name": "每单一张", "face_value_fen": 1000, "price_fen": 0},
    )
    order_id = new_order()["id"]
    assert redeem(client, auth, first, order_id).status_code == 201
    response = redeem(client, auth, second, order_id)
    assert (_error(response)["code"], _error(response)["message"]) == (
        "voucher_limit_per_order",
        "该票券每单限用1张",
    )


def test_platform_code_without_binding(client, auth, new_order, container):
    # The demo binds both stores to the Meituan simulator; this store has not bound yet.
    with container.engine.begin() as conn:
        conn.execute(bindings.delete().where(bindings.c.platform == "meituan"))
    response = redeem(client, auth, "1234567890", new_order()["id"])  # a Meituan 团购券
    assert response.status_code == 409
    assert _error(response)["message"] == "门店未绑定美团,请先在基础资料中绑定"
    english = redeem(client, {**auth, **EN}, "1234567890", new_order()["id"])
    assert _error(english)["message"] == "This store is not bound to Meituan; bind it first"


@pytest.mark.parametrize(
    "body",
    [
        {
            "table": "S1",
            "lines": [{"item_code": "A", "name": "a", "quantity": 1, "unit_price_fen": 19.9}],
        },
        {
            "table": "S1",
            "lines": [{"item_code": "A", "name": "a", "quantity": 1, "unit_price_fen": -100}],
        },
        {
            "table": "S1",
            "lines": [{"item_code": "A", "name": "a", "quantity": 10**9, "unit_price_fen": 100}],
        },
        {"table": "S1", "lines": []},
        {
            "table": "S1",
            "lines": [{"item_code": "A", "name": "a", "quantity": "1", "unit_price_fen": 100}],
        },
        {
            "lines": [{"item_code": "A", "name": "a", "quantity": 1, "unit_price_fen": 100}],
            "service_fee_fen": 1.5,
        },
    ],
)
def test_bad_orders_get_a_clear_422(client, auth, body):
    response = client.post("/api/v1/orders", json=body, headers=auth)
    assert response.status_code == 422
    assert _error(response)["code"] == "validation_error"
    assert _error(response)["message"].startswith("请求内容有误")


def test_bad_json_and_huge_bodies(client, auth):
    response = client.post(
        "/api/v1/redemptions",
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert (response.status_code, _error(response)["code"]) == (422, "validation_error")
    response = client.post(
        "/api/v1/orders",
        content=b"x" * 300_000,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert (response.status_code, _error(response)["code"]) == (413, "payload_too_large")
