"""Reconciliation of each platform's statement of a day, fetched from the platform's API: a
scenario bought on the simulator and redeemed / reversed through the Terminal API, then every
kind of mismatch injected on the simulator (a line dropped, an amount changed, a status
changed, a line we never made) and the run's lists and fen totals asserted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import FakeClock
from tests.helpers import (
    buy_douyin,
    buy_meituan,
    buy_weimall,
    demo_listing,
    douyin_codes,
    must_redeem,
    open_order,
    platform_listing,
)
from tests.platforms.flows.conftest import sim_clock_follows
from tests.reconciliation.tools import (
    API,
    china_day,
    codes_of,
    counts,
    reconcile,
    sim_statement,
    sim_status,
    store_id,
    totals,
)

POI = "7001000000001"  # the demo binding of 皇岗店
Order = Callable[..., dict[str, Any]]
SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]


def _use_and_reverse(
    client: Any, auth: dict[str, str], new_order: Order, codes: list[str]
) -> list[dict[str, Any]]:
    """Each code redeemed on an order of its own; the second one reversed."""
    used = [must_redeem(client, auth, code, new_order()["id"]) for code in codes]
    undone = client.post(f"/api/v1/redemptions/{used[1]['id']}/reverse", headers=auth)
    assert undone.status_code == 200, undone.text
    return used


def _assert_each_kind(
    run: dict[str, Any], codes: list[str], ids: list[str], ours: int, theirs: int
) -> None:
    """codes: matched, reversed (matched), amount changed by -100, dropped, shown reversed;
    plus one line we never made, 10 yuan."""
    a, b, c, d, e = codes
    assert counts(run) == {
        "matched": 2,
        "theirs_only": 1,
        "ours_only": 1,
        "amount_differs": 1,
        "status_differs": 1,
    }
    assert codes_of(run, "matched") == sorted([a, b])
    assert codes_of(run, "ours_only") == [d]
    assert codes_of(run, "amount_differs") == [c]
    assert codes_of(run, "status_differs") == [e]
    [differs] = run["amount_differs"]
    assert (differs["ours_fen"], differs["theirs_fen"]) == (ours, ours - 100)
    [status] = run["status_differs"]
    assert (status["ours_status"], status["theirs_status"]) == ("redeemed", "reversed")
    [foreign] = run["theirs_only"]
    assert (foreign["ours_fen"], foreign["theirs_fen"], foreign["redemption_id"]) == (
        None,
        theirs,
        None,
    )
    [missing] = run["ours_only"]
    assert missing["ours_at"].endswith("+08:00")
    assert missing["store"] == "皇岗店"
    assert missing["redemption_id"] == ids[3]
    # ours: A C D E used; theirs: A, C less 100, the foreign line (E shown undone, D missing)
    assert totals(run) == (4 * ours, 2 * ours - 100 + theirs, theirs - 2 * ours - 100)
    assert run["consistent"] is False


def test_douyin_ledger_with_each_kind_of_mismatch(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    noon: FakeClock,
):
    platform_listing(client, admin, "douyin", "sku-rc", title="抖音 100元代金券", per_order_limit=5)
    sim_clock_follows(douyin, noon)
    bought = buy_douyin(
        douyin,
        poi_id=POI,
        sku_id="sku-rc",
        count=5,
        code_type="platform",
        title="100元代金券",
        original_amount=10000,
        pay_amount=6000,
    )
    codes = douyin_codes(bought)
    ids = [u["id"] for u in _use_and_reverse(client, auth, new_order, codes)]
    day, store = china_day(noon), store_id(client, admin)

    clean = reconcile(client, admin, "douyin", store, day)
    assert counts(clean)["matched"] == 5
    assert clean["consistent"] is True
    assert totals(clean) == (24000, 24000, 0)

    sim_statement(douyin, day, drop=[codes[3]], amount_delta_fen={codes[2]: -100}, extra=1)
    sim_status(douyin, day, {codes[4]: "reversed"})
    run = reconcile(client, admin, "douyin", store, day)
    _assert_each_kind(run, codes, ids, 6000, 1000)
    asked = douyin.get("/_sim/requests", params={"path": "/goodlife/v1/settle/ledger/query/"})
    assert {r["query"]["bill_date"] for r in asked.json()} == {day.isoformat()}

    kept = client.get(f"{API}/reconciliations", headers=admin, params={"date": day.isoformat()})
    assert [r["id"] for r in kept.json()] == [run["id"], clean["id"]]
    again = client.get(f"{API}/reconciliations/{run['id']}", headers=admin).json()
    assert again == run


def test_meituan_history_with_each_kind_of_mismatch(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
    noon: FakeClock,
):
    platform_listing(client, admin, "meituan", "880100", price_fen=5990, per_order_limit=5)
    sim_clock_follows(meituan, noon)
    codes = buy_meituan(meituan, "880100", count=5)
    ids = [u["id"] for u in _use_and_reverse(client, auth, new_order, codes)]
    day, store = china_day(noon), store_id(client, admin)

    sim_statement(meituan, day, drop=[codes[3]], amount_delta_fen={codes[2]: -100}, extra=1)
    sim_status(meituan, day, {codes[4]: "reversed"})
    run = reconcile(client, admin, "meituan", store, day)
    _assert_each_kind(run, codes, ids, 5990, 10000)
    [asked] = meituan.get(
        "/_sim/requests", params={"path": "/router/tuangou/receipt/querylistbydate"}
    ).json()
    assert f"date={day.isoformat()}" in asked["body"]


def test_weimall_settlements_with_each_kind_of_mismatch(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    noon: FakeClock,
):
    sim_clock_follows(weimall, noon)
    cash = demo_listing(client, admin, "weimall")
    codes = buy_weimall(weimall, cash["public_id"], quantity=5)["codes"]
    used = [must_redeem(client, auth, c, open_order(client, auth, lines=SOUP)["id"]) for c in codes]
    undone = client.post(f"/api/v1/redemptions/{used[1]['id']}/reverse", headers=auth)
    assert undone.status_code == 200, undone.text
    while deliver().delivered:  # the mall hears of every use, then of the reversal
        pass
    day, store = china_day(noon), store_id(client, admin)
    mall_rows = weimall.post("/_sim/statement", json={"date": day.isoformat()}).json()["rows"]
    assert sorted(r["status"] for r in mall_rows) == ["redeemed"] * 4 + ["reversed"]

    ids = [u["id"] for u in used]
    sim_statement(weimall, day, drop=[ids[3]], amount_delta_fen={ids[2]: -100}, extra=1)
    sim_status(weimall, day, {codes[4]: "reversed"})
    run = reconcile(client, admin, "weimall", store, day)
    _assert_each_kind(run, codes, ids, 10000, 1000)
    [reversed_both] = [x for x in run["matched"] if x["code"] == codes[1]]
    assert (reversed_both["ours_status"], reversed_both["theirs_status"]) == ("reversed",) * 2


def test_platform_down_is_a_clear_error_and_keeps_no_run(
    client: Any, admin: dict[str, str], douyin: httpx.Client, noon: FakeClock
):
    day, store = china_day(noon), store_id(client, admin)
    douyin.post("/_sim/faults", json={"path": "/goodlife/*", "kind": "http_503", "count": 20})
    down = client.post(
        f"{API}/reconciliations",
        headers=admin,
        json={"platform": "douyin", "store_id": store, "date": day.isoformat()},
    )
    assert (down.status_code, down.json()["error"]["code"]) == (503, "platform_unavailable")
    douyin.delete("/_sim/faults")
    assert client.get(f"{API}/reconciliations", headers=admin).json() == []
    bad = client.post(
        f"{API}/reconciliations",
        headers=admin,
        json={"platform": "alipay", "store_id": store, "date": day.isoformat()},
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_error")
