"""Douyin may refuse a cancel well inside its documented hour (a refusal after under three
minutes is on record): our window is an upper bound, Douyin's answer decides. A refused cancel
leaves our side as Douyin's (the redemption stays redeemed, nothing half-written) and says why
in the merchant's words; through the outbox it is dead with Douyin's reason, never delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.factories import FakeClock
from tests.helpers import (
    DEMO_POI,
    buy_douyin,
    buy_douyin_merchant_codes,
    douyin_codes,
    platform_listing,
    redeem,
    sim_fault,
)
from tests.platforms.flows.conftest import sim_clock_follows

API = "/api/admin/v1"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
BREAD_ORDER = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]
TRANSFER = "抖音拒绝了本次操作:该券码用户操作转赠中,暂不支持核销"
# Douyin's own limit, in its words: not our 60 minutes (it has refused after 3).
TOO_LATE = "抖音拒绝撤销核销,不能反结账退券:已超过可撤销时限,无法撤销核销"


def _refuse_cancels(douyin: httpx.Client, biz_code: int) -> None:
    sim_fault(douyin, CANCEL, kind="biz_error", biz_code=biz_code, count=None)


def _cancelled(douyin: httpx.Client) -> list[bool]:
    state = douyin.get("/_sim/state").json()
    return [v["cancelled_at"] is not None for v in state["verifications"]]


@pytest.mark.parametrize(
    ("biz_code", "status", "error", "message"),
    [
        (2119006, 422, "platform_refused", TRANSFER),
        (3000001, 409, "platform_reversal_refused", TOO_LATE),
    ],
    ids=["transfer-in-progress", "time-limit-after-3-minutes"],
)
def test_a_platform_code_cancel_douyin_refuses_leaves_the_redemption_redeemed(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    clock: FakeClock,
    biz_code: int,
    status: int,
    error: str,
    message: str,
) -> None:
    platform_listing(
        client, admin, "douyin", "sku-900", name="抖音100元代金券", title="抖音 100元代金券"
    )
    sim_clock_follows(douyin, clock)
    [code] = douyin_codes(
        buy_douyin(douyin, poi_id=DEMO_POI, sku_id="sku-900", count=1, code_type="platform")
    )
    order = new_order()
    redeemed = redeem(client, auth, code, order["id"])
    assert redeemed.status_code == 201, redeemed.text
    due = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["due_fen"]
    clock.advance(minutes=3)  # well inside our window
    sim_clock_follows(douyin, clock)
    _refuse_cancels(douyin, biz_code)

    refused = client.post(f"/api/v1/redemptions/{redeemed.json()['id']}/reverse", headers=auth)

    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == error
    assert refused.json()["error"]["message"] == message
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["due_fen"] == due  # the voucher still counts on the order, as on Douyin
    assert _cancelled(douyin) == [False]
    again = redeem(client, auth, code, new_order()["id"])
    assert again.json()["error"]["code"] == "voucher_already_redeemed"

    douyin.delete("/_sim/faults")  # once Douyin agrees, the same reversal goes through
    reversed_ = client.post(f"/api/v1/redemptions/{redeemed.json()['id']}/reverse", headers=auth)
    assert (reversed_.status_code, reversed_.json()["status"]) == (200, "reversed")
    assert _cancelled(douyin) == [True]


def test_a_merchant_code_reversal_douyin_refuses_is_dead_with_its_reason_not_delivered(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
) -> None:
    [code] = buy_douyin_merchant_codes(douyin, client, admin)
    redeemed = redeem(client, auth, code, new_order(lines=BREAD_ORDER)["id"])
    assert redeemed.status_code == 201, redeemed.text
    assert deliver().delivered == 1  # Douyin hears of the use
    reversed_ = client.post(f"/api/v1/redemptions/{redeemed.json()['id']}/reverse", headers=auth)
    assert reversed_.status_code == 200, reversed_.text
    _refuse_cancels(douyin, 2119006)

    report = deliver()

    assert (report.delivered, report.dead) == (0, 1)
    outbox = client.get(f"{API}/outbox", params={"status": "dead"}, headers=admin).json()
    [dead] = [r for r in outbox["rows"] if r["topic"] == "code.reversed"]
    assert "platform_refused" in dead["last_error"]
    assert "该券码用户操作转赠中,暂不支持核销" in dead["last_error"]
    assert _cancelled(douyin) == [False]  # Douyin still counts the use: a person must act
    clock.advance(minutes=30)
    assert deliver().delivered == 0  # dead stays dead until a person retries it
