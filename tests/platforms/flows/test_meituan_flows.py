"""Meituan end to end: binding a store with a merchant session, and 美团团购券 verified with
Meituan at the counter (one, several of a purchase in one scan, refusals, Meituan down, the
10-minute reversal window, replays), against the Meituan simulator over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.factories import FakeClock
from tests.helpers import buy_meituan, platform_listing, redeem
from tests.platforms.flows.conftest import sim_clock_follows

API = "/api/admin/v1"
SHOP = "mt-shop-1"  # the demo binding of 皇岗店 (see services/demo.py)
CONSUME = "/router/tuangou/receipt/consume"
Order = Callable[..., dict[str, Any]]


def _listing(client: Any, admin: dict[str, str], deal_id: str) -> dict[str, Any]:
    return platform_listing(
        client,
        admin,
        "meituan",
        deal_id,
        name="美团100元代金券",
        title="美团 100元代金券",
        price_fen=5990,
        per_order_limit=5,
    )


def _live_consumes(meituan: httpx.Client) -> list[dict[str, Any]]:
    consumes = meituan.get("/_sim/state").json()["consumes"]
    return [c for c in consumes if c["reversed_at"] is None]


def test_binding_needs_a_session_covering_the_shop_and_a_wrong_one_leaves_it_unbound(
    client: Any, admin: dict[str, str], meituan: httpx.Client
):
    store = client.post(f"{API}/stores", headers=admin, json={"name": "右姑娘火锅(车公庙店)"})
    assert store.status_code == 201, store.text
    store_id = store.json()["id"]
    body = {"store_id": store_id, "platform": "meituan", "platform_store_id": "mt-shop-3"}

    wrong = client.post(f"{API}/bindings", headers=admin, json={**body, "secret": "mt-wrong"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"]["code"] == "binding_rejected"
    assert "美团" in wrong.json()["error"]["message"]

    def status() -> str:
        rows = client.get(f"{API}/bindings", headers=admin).json()
        [row] = [b for b in rows if (b["store_id"], b["platform"]) == (store_id, "meituan")]
        return str(row["status"])

    assert status() != "bound"
    right = client.post(
        f"{API}/bindings", headers=admin, json={**body, "secret": "mt-demo-session"}
    )
    assert right.status_code in (200, 201), right.text
    assert status() == "bound"
    # a wrong session is refused at the session query; a bare session's bid is asked there,
    # then the shop-scope call carries it (Dianping requires bid there)
    queried = meituan.get("/_sim/requests", params={"path": "/router/oauth/session/query"}).json()
    assert len(queried) == 2
    [scoped] = meituan.get("/_sim/requests", params={"path": "/router/oauth/session/scope"}).json()
    assert parse_qs(scoped["body"])["bid"] == ["mt-demo-bid"]


def test_a_meituan_code_prepared_and_redeemed_at_the_counter(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
):
    _listing(client, admin, "880001")
    [code] = buy_meituan(meituan, "880001")
    order = new_order()
    prepared = client.post(
        "/api/v1/vouchers/prepare", json={"code": code, "order_id": order["id"]}, headers=auth
    )
    assert prepared.status_code == 200, prepared.text
    shown = prepared.json()
    assert (shown["platform"], shown["discount_fen"], shown["available_count"]) == (
        "meituan",
        10000,
        1,
    )
    assert shown["platform_title"] == "100元代金券"
    assert _live_consumes(meituan) == []  # prepare changes nothing

    redeemed = redeem(client, auth, code, order["id"])
    assert redeemed.status_code == 201, redeemed.text
    assert (redeemed.json()["code"], redeemed.json()["discount_fen"]) == (code, 10000)
    [used] = _live_consumes(meituan)
    assert (used["receipt_code"], used["open_shop_uuid"]) == (code, SHOP)
    assert used["requestid"] == redeemed.json()["id"]  # our redemption id is the requestid


def test_two_codes_of_a_purchase_in_one_scan_print_as_two_vouchers(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
):
    _listing(client, admin, "880002")
    codes = buy_meituan(meituan, "880002", count=3)
    order = new_order()
    prepared = client.post(
        "/api/v1/vouchers/prepare", json={"code": codes[0], "order_id": order["id"]}, headers=auth
    )
    assert prepared.json()["available_count"] == 3

    redeemed = redeem(client, auth, codes[0], order["id"], count=2)
    assert redeemed.status_code == 201, redeemed.text
    lines = redeemed.json()["redemptions"]
    assert [r["discount_fen"] for r in lines] == [10000, 10000]
    assert {r["code"] for r in lines} < set(codes)
    assert len({r["code"] for r in lines}) == 2
    assert len(_live_consumes(meituan)) == 2
    assert len(meituan.get("/_sim/requests", params={"path": CONSUME}).json()) == 1  # one call

    due = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()["due_fen"]
    assert due == order["due_fen"] - 20000
    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": due}]},
        headers=auth,
    )
    assert paid.status_code == 200, paid.text
    receipt = client.get(f"/api/v1/orders/{order['id']}/receipt?format=text", headers=auth)
    assert "票券x2: 200.00" in receipt.text


def test_refusals_map_to_the_catalogue_and_down_means_nothing_written(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
):
    _listing(client, admin, "880003")
    [code] = buy_meituan(meituan, "880003")
    order = new_order()
    unknown = redeem(client, auth, "1000000007", order["id"])
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "voucher_not_found")

    meituan.post("/_sim/faults", json={"path": "/router/*", "kind": "http_503", "count": 10})
    down = redeem(client, auth, code, order["id"])
    assert (down.status_code, down.json()["error"]["code"]) == (503, "platform_unavailable")
    assert down.json()["error"]["message"] == "美团暂时无法验券,请稍后重试"
    meituan.delete("/_sim/faults")
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["due_fen"] == order["due_fen"]  # nothing written on our side
    assert _live_consumes(meituan) == []

    meituan.post("/_sim/meituan/sessions/expire", json={}).raise_for_status()
    expired = redeem(client, auth, code, order["id"])
    assert (expired.status_code, expired.json()["error"]["code"]) == (409, "binding_expired")
    assert expired.json()["error"]["message"] == "美团授权已失效,请店长在基础资料中重新绑定"
    assert _live_consumes(meituan) == []  # and still nothing written
    [binding] = [
        b
        for b in client.get(f"{API}/bindings", headers=admin).json()
        if b["platform"] == "meituan" and b["store_id"] == order["store_id"]
    ]
    assert (binding["status"], binding["status_label"]) == ("expired", "授权已失效")
    asked = len(meituan.get("/_sim/requests").json())
    again = redeem(client, auth, code, order["id"])  # answered at once, Meituan not asked
    assert again.json()["error"]["code"] == "binding_expired"
    assert len(meituan.get("/_sim/requests").json()) == asked

    meituan.post("/_sim/reset").raise_for_status()  # a fresh authorization (and mall)
    rebound = client.post(
        f"{API}/bindings",
        headers=admin,
        json={
            "store_id": order["store_id"],
            "platform": "meituan",
            "platform_store_id": binding["platform_store_id"],
            "secret": "mt-demo-session",
        },
    )
    assert rebound.json()["status"] == "bound", rebound.text
    [code] = buy_meituan(meituan, "880003")

    assert redeem(client, auth, code, order["id"]).status_code == 201
    other = new_order()
    used = redeem(client, auth, code, other["id"])
    assert (used.status_code, used.json()["error"]["code"]) == (409, "voucher_already_redeemed")


def test_reverse_at_nine_minutes_frees_the_code_and_at_eleven_is_refused(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
    clock: FakeClock,
):
    _listing(client, admin, "880004")
    sim_clock_follows(meituan, clock)
    codes = buy_meituan(meituan, "880004", count=2)
    order = new_order()
    first = redeem(client, auth, codes[0], order["id"]).json()
    clock.advance(minutes=9)
    sim_clock_follows(meituan, clock)
    reversed_ = client.post(f"/api/v1/redemptions/{first['id']}/reverse", headers=auth)
    assert (reversed_.status_code, reversed_.json()["status"]) == (200, "reversed")
    assert _live_consumes(meituan) == []
    again = redeem(client, auth, codes[0], order["id"])
    assert again.status_code == 201  # usable again, on Meituan and with us

    late = redeem(client, auth, codes[1], order["id"]).json()
    clock.advance(minutes=11)
    sim_clock_follows(meituan, clock)
    refused = client.post(f"/api/v1/redemptions/{late['id']}/reverse", headers=auth)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reversal_window_closed"
    assert "10" in refused.json()["error"]["message"]
    assert len(_live_consumes(meituan)) == 2  # still used on Meituan


def test_a_replayed_redeem_request_answers_the_same_body_and_consumes_once(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
):
    _listing(client, admin, "880005")
    [code] = buy_meituan(meituan, "880005")
    order = new_order()
    key = {"Idempotency-Key": "pos-mt-0001"}
    first = redeem(client, {**auth, **key}, code, order["id"])
    assert first.status_code == 201, first.text
    replay = redeem(client, {**auth, **key}, code, order["id"])
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert len(meituan.get("/_sim/requests", params={"path": CONSUME}).json()) == 1
    assert len(_live_consumes(meituan)) == 1


def test_a_lost_consume_answer_is_retried_with_the_same_requestid(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
):
    _listing(client, admin, "880006")
    [code] = buy_meituan(meituan, "880006")
    order = new_order()
    meituan.post("/_sim/faults", json={"path": CONSUME, "kind": "after_commit_503", "count": 1})
    redeemed = redeem(client, auth, code, order["id"])
    assert redeemed.status_code == 201, redeemed.text
    [used] = _live_consumes(meituan)  # applied by the lost attempt, answered to the retry
    assert used["requestid"] == redeemed.json()["id"]
    assert len(meituan.get("/_sim/requests", params={"path": CONSUME}).json()) == 2


def test_a_12_digit_meituan_code_is_found_by_asking_douyin_and_meituan(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
    douyin: httpx.Client,
):
    _listing(client, admin, "880007")
    bought = meituan.post(
        "/_sim/meituan/receipts",
        json={"open_shop_uuid": SHOP, "deal_id": "880007", "price_yuan": "59.9", "code_length": 12},
    )
    [code] = bought.json()["codes"]
    assert len(code) == 12  # the shape Douyin codes have too
    order = new_order()
    redeemed = redeem(client, auth, code, order["id"])
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["platform"] == "meituan"
    asked = douyin.get("/_sim/requests", params={"path": "/goodlife/*"}).json()
    assert any(r["query"].get("code") == code for r in asked)  # Douyin was asked, did not know
    assert [c["receipt_code"] for c in _live_consumes(meituan)] == [code]
