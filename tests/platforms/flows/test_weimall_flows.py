"""Micro-mall end to end: binding with the mall's signed ping, J codes issued by the mall's
purchase push, redeemed at the counter and synced once by the worker, refunds, and pushes
with a bad signature or a stale timestamp — our service and the simulator over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import FakeClock
from tests.helpers import buy_weimall, demo_admin_headers, demo_listing, redeem, sim_fault

API = "/api/admin/v1"
REDEEMED = "/open/v1/vouchers/redeemed"
SOUP_ORDER = [
    {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}
]


def _uses(weimall: httpx.Client, code: str) -> int:
    [row] = [c for c in weimall.get("/_sim/weimall/codes").json() if c["code"] == code]
    return int(row["use_count"])


def test_binding_needs_the_malls_answer_and_a_wrong_secret_leaves_it_unbound(
    client: Any, admin: dict[str, str], weimall: httpx.Client
):
    store = client.post(f"{API}/stores", headers=admin, json={"name": "右姑娘火锅(福田店)"})
    assert store.status_code == 201, store.text
    store_id = store.json()["id"]
    weimall.post(
        "/_sim/weimall/stores",
        json={"store_id": "wm-store-9", "secret": "right-secret", "name": "福田店(微商城)"},
    ).raise_for_status()

    wrong = client.post(
        f"{API}/bindings",
        headers=admin,
        json={
            "store_id": store_id,
            "platform": "weimall",
            "platform_store_id": "wm-store-9",
            "secret": "wrong-secret",
        },
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"]["code"] == "binding_rejected"
    assert "微商城" in wrong.json()["error"]["message"]

    def status() -> str:
        rows = client.get(f"{API}/bindings", headers=admin).json()
        [row] = [b for b in rows if (b["store_id"], b["platform"]) == (store_id, "weimall")]
        return str(row["status"])

    assert status() != "bound"

    right = client.post(
        f"{API}/bindings",
        headers=admin,
        json={
            "store_id": store_id,
            "platform": "weimall",
            "platform_store_id": "wm-store-9",
            "secret": "right-secret",
        },
    )
    assert right.status_code in (200, 201), right.text
    assert status() == "bound"
    pings = [r for r in weimall.get("/_sim/requests", params={"path": "/open/v1/ping"}).json()]
    assert len(pings) == 2  # one signed test call per attempt


def test_purchase_push_issues_codes_once_and_a_replay_gets_the_same_codes(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
):
    listing = demo_listing(client, admin, "weimall")
    order = buy_weimall(weimall, listing["public_id"], quantity=3)
    codes = order["codes"]
    assert len(codes) == 3
    assert all(c.startswith("J") for c in codes)

    replayed = weimall.post(
        "/_sim/weimall/purchases", json={"replay": True, "order_no": order["order_no"]}
    ).json()
    assert replayed["codes"] == codes
    attempts = replayed["attempts"]
    assert len(attempts) == 2
    assert [a["answer"]["data"]["codes"] for a in attempts] == [codes, codes]

    order_id = new_order(lines=SOUP_ORDER)["id"]
    prepared = client.post(
        "/api/v1/vouchers/prepare", json={"code": codes[0], "order_id": order_id}, headers=auth
    )
    assert prepared.status_code == 200, prepared.text
    assert (prepared.json()["name"], prepared.json()["discount_fen"]) == ("100元代金券", 10000)


def test_redeem_syncs_one_use_through_an_outage_and_a_dead_row_is_retried_by_hand(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
):
    codes = buy_weimall(weimall, demo_listing(client, admin, "weimall")["public_id"])["codes"]
    for code in codes:
        order = new_order(lines=SOUP_ORDER)
        done = redeem(client, auth, code, order["id"])
        assert done.status_code == 201, done.text

    # down, then back: the mall applies the first call, loses its answer, then is down for
    # every quick retry of the client (3 tries per delivery)
    sim_fault(weimall, REDEEMED, kind="after_commit_503", count=1)
    sim_fault(weimall, REDEEMED, kind="http_503", count=5)
    first = deliver()
    assert (first.delivered, first.retried) == (0, 2)
    clock.advance(minutes=5)
    second = deliver()
    assert (second.delivered, second.retried) == (2, 0)
    assert _uses(weimall, codes[0]) == 1  # applied once though we asked three times
    assert _uses(weimall, codes[1]) == 1

    # down for good: the row goes dead after its budget, an admin retries it by hand
    order = new_order(lines=SOUP_ORDER)
    cash = demo_listing(client, admin, "weimall")["public_id"]
    third = buy_weimall(weimall, cash, quantity=1)["codes"][0]
    redeem(client, auth, third, order["id"]).raise_for_status()
    sim_fault(weimall, REDEEMED, kind="http_503", count=1000)
    for _ in range(12):
        deliver()
        clock.advance(hours=2)
    admin = demo_admin_headers(client, demo)  # a day passed: the console session has expired
    listed = client.get(f"{API}/outbox?status=dead", headers=admin)
    assert listed.status_code == 200, listed.text
    dead = listed.json()["rows"]
    [row] = [r for r in dead if third in str(r)]
    assert _uses(weimall, third) == 0

    weimall.delete("/_sim/faults").raise_for_status()
    retried = client.post(f"{API}/outbox/{row['id']}/retry", headers=admin)
    assert (retried.status_code, retried.json()["status"]) == (200, "pending")
    assert deliver().delivered == 1
    assert _uses(weimall, third) == 1


def test_refund_voids_unused_codes_and_refuses_used_ones(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    weimall: httpx.Client,
    live: str,
):
    order = buy_weimall(weimall, demo_listing(client, admin, "weimall")["public_id"], quantity=2)
    used, unused = order["codes"]
    redeem(client, auth, used, new_order(lines=SOUP_ORDER)["id"]).raise_for_status()

    refund = weimall.post("/_sim/weimall/refunds", json={"order_no": order["order_no"]}).json()
    assert refund["status"] == "done", refund
    assert refund["voided"] == [unused]
    assert [r["code"] for r in refund["refused"]] == [used]

    gone = client.post(
        "/api/v1/vouchers/prepare",
        json={"code": unused, "order_id": new_order(lines=SOUP_ORDER)["id"]},
        headers=auth,
    )
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "voucher_voided")
    still = client.get(f"{API}/codes/{used}", headers=admin)
    if still.status_code == 200:  # the archive lands with the console
        assert still.json()["status"] == "redeemed"


def test_tampered_or_stale_pushes_are_refused_and_change_nothing(
    client: Any, admin: dict[str, str], weimall: httpx.Client, live: str
):
    listing = demo_listing(client, admin, "weimall")
    payload = {
        "order_no": "WM20261123000000123456",
        "coupon_id": listing["public_id"],
        "title": "60代100元票券抢购",
        "quantity": 1,
        "unit_price_fen": 6000,
        "buyer": {"openid": "o-x"},
        "paid_at": "2026-11-23T08:00:00+08:00",
    }
    for change in ({"tamper": True}, {"timestamp_offset_s": -3600}, {"timestamp_offset_s": 3600}):
        sent = weimall.post(
            "/_sim/weimall/push",
            json={"type": "VOUCHER_PURCHASED", "payload": payload, **change},
        ).json()
        [attempt] = sent["attempts"] if "attempts" in sent else [sent]
        assert attempt["status_code"] == 401, (change, attempt)
        assert attempt["answer"]["error"]["code"] == "invalid_signature"

    fine = weimall.post(
        "/_sim/weimall/push", json={"type": "VOUCHER_PURCHASED", "payload": payload}
    ).json()
    [attempt] = fine["attempts"] if "attempts" in fine else [fine]
    assert attempt["status_code"] == 200, attempt
    assert len(attempt["answer"]["data"]["codes"]) == 1  # only the honest push issued a code
