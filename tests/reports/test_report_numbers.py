"""The numbers of the sales and redemptions reports and of the dashboard, on the two days of
`world` (conftest.py), read through the admin API; HQ and a store manager; bad requests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import admin_headers, demo_admin_headers

API = "/api/admin/v1"
SPAN = {"from": "2027-03-01", "to": "2027-03-02"}


def _get(client: Any, headers: dict[str, str], path: str, **params: str) -> dict[str, Any]:
    response = client.get(f"{API}{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _rows(report: dict[str, Any], *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[k] for k in keys): row for row in report["rows"]}


def test_sales_by_platform_listing_and_redeeming_store(client: Any, world: dict[str, Any]):
    hq = world["hq"]
    by_platform = _rows(
        _get(client, hq, "/reports/sales", **SPAN, group_by="platform"), "platform_code"
    )
    mall, mt = by_platform[("weimall",)], by_platform[("meituan",)]
    price, face = world["cash"]["price_fen"], world["cash"]["face_value_fen"]
    # c0..c3 sold; c2 was reversed, so it is unused again with c3; valid 90 days: none expiring
    assert (mall["sold"], mall["paid_fen"], mall["face_fen"]) == (4, 4 * price, 4 * face)
    assert (mall["refunded"], mall["unused"], mall["expiring"]) == (0, 2, 0)
    assert (mt["sold"], mt["paid_fen"], mt["face_fen"], mt["unused"]) == (1, 5990, 10000, 0)

    by_store = _get(client, hq, "/reports/sales", **SPAN, group_by="store")
    assert [c["label_zh"] for c in by_store["columns"]][0] == "核销门店"
    counts = {row["store"]: row["sold"] for row in by_store["rows"]}
    assert counts == {"皇岗店": 2, "福田店": 1, "未核销": 2}
    assert by_store["totals"]["sold"] == 5

    # grouped by a joined table's column too (codes and redemptions both have a platform)
    both = _get(client, hq, "/reports/sales", **SPAN, group_by="store,platform,day")
    pairs = {(r["store"], r["platform_code"]): r["sold"] for r in both["rows"]}
    assert pairs == {
        ("皇岗店", "weimall"): 1,
        ("皇岗店", "meituan"): 1,
        ("福田店", "weimall"): 1,
        ("未核销", "weimall"): 2,
    }
    by_day = _get(client, hq, "/reports/sales", **SPAN, group_by="day,listing")
    days = {(row["day"], row["listing"]): row["sold"] for row in by_day["rows"]}
    assert days == {("2027-03-01", world["cash"]["title"]): 4, ("2027-03-01", "=1+1 美团代金券"): 1}


def test_redemptions_by_store_and_day_count_reversals_on_their_day(
    client: Any, world: dict[str, Any]
):
    d = world["discount"]
    report = _get(client, world["hq"], "/reports/redemptions", **SPAN, group_by="store,day")
    rows = {
        (r["store"], r["day"]): (r["redeemed"], r["reversed"], r["net"], r["discount_fen"])
        for r in report["rows"]
    }
    assert rows == {
        ("皇岗店", "2027-03-01"): (2, 0, 2, d["c0"] + d["mt"]),
        ("福田店", "2027-03-01"): (1, 0, 1, d["c1"]),
        ("皇岗店", "2027-03-02"): (1, 1, 0, 0),
    }
    assert report["totals"] == {
        "redeemed": 4,
        "reversed": 1,
        "net": 3,
        "discount_fen": d["c0"] + d["c1"] + d["mt"],
    }
    by_platform = _get(
        client, world["hq"], "/reports/redemptions", **SPAN, group_by="listing,platform,terminal"
    )
    nets = {(r["platform_code"], r["terminal"]): r["net"] for r in by_platform["rows"]}
    assert sum(n for (p, _t), n in nets.items() if p == "meituan") == 1
    assert sum(nets.values()) == 3
    # a day before the business: nothing
    quiet = _get(
        client,
        world["hq"],
        "/reports/redemptions",
        **{"from": "2027-02-28", "to": "2027-02-28"},
        group_by="store",
    )
    assert quiet["rows"] == []
    assert quiet["totals"]["redeemed"] == 0


def test_a_store_manager_sees_only_their_store(client: Any, world: dict[str, Any]):
    manager = world["manager"]
    report = _get(client, manager, "/reports/redemptions", **SPAN, group_by="store")
    assert {r["store"] for r in report["rows"]} == {"皇岗店"}
    assert report["totals"]["redeemed"] == 3
    sales = _get(client, manager, "/reports/sales", **SPAN, group_by="store")
    # the chain-wide template's codes are not the store's: only those used at 皇岗店 (c2 too,
    # though reversed: it was used there)
    assert sales["totals"]["sold"] == 3
    assert {r["store"] for r in sales["rows"]} <= {"皇岗店", "未核销"}


def test_a_cashier_account_reads_no_figures(client: Any, world: dict[str, Any]):
    made = client.post(
        f"{API}/users",
        headers=world["hq"],
        json={
            "username": "till-girl",
            "password": "scope-pw-71",
            "role": "cashier",
            "store_ids": [world["stores"]["皇岗店"]],
        },
    )
    assert made.status_code == 201, made.text
    cashier = admin_headers(client, "till-girl", "scope-pw-71")
    for path, params in (
        ("/reports/dashboard", {}),
        ("/reports/sales", SPAN),
        ("/reports/redemptions", SPAN),
        ("/codes", {}),
        ("/orders", {}),
        ("/redemptions", {}),
    ):
        refused = client.get(f"{API}{path}", headers=cashier, params=params)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["error"]["code"] == "forbidden"


def test_the_dashboard_windows_daily_line_and_stores(client: Any, world: dict[str, Any]):
    board = _get(client, world["hq"], "/reports/dashboard")
    assert (board["today"], board["zone"]) == ("2027-03-02", "Asia/Shanghai")
    today, week, month = board["windows"]
    d = world["discount"]
    assert (today["sold"], today["redeemed"], today["reversed"], today["discount_fen"]) == (
        0,
        1,
        1,
        0,
    )
    assert (week["sold"], week["redeemed"], week["reversed"]) == (5, 4, 1)
    assert week["discount_fen"] == month["discount_fen"] == d["c0"] + d["c1"] + d["mt"]
    assert week["sync_failures"] == 0
    stores = {
        (r["store"], r["platform_code"]): r["redeemed"] for r in week["by_store_platform"]["rows"]
    }
    assert stores == {("皇岗店", "weimall"): 2, ("皇岗店", "meituan"): 1, ("福田店", "weimall"): 1}
    daily = board["daily_redemptions"]
    assert len(daily) == 30
    assert daily[-1] == ["2027-03-02", 1]
    assert daily[-2] == ["2027-03-01", 3]
    assert sum(n for _day, n in daily) == 4
    assert board["redemptions_by_store"] == [["皇岗店", 3], ["福田店", 1]]
    mine = _get(client, world["manager"], "/reports/dashboard")
    assert mine["windows"][1]["redeemed"] == 3
    assert mine["redemptions_by_store"] == [["皇岗店", 3]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2027-13-01", "to": "2027-03-02"}, "from"),
        ({"from": "2027-03-01"}, "to"),
        ({"from": "2027-03-03", "to": "2027-03-02"}, "from"),
        ({"from": "2026-01-01", "to": "2027-03-02"}, "to"),
        ({**SPAN, "group_by": "store,weather"}, "group_by"),
        ({**SPAN, "group_by": "terminal"}, "group_by"),
        ({**SPAN, "format": "pdf"}, "format"),
    ],
)
def test_bad_report_requests_name_the_field(
    client: Any, demo: dict[str, Any], params: dict[str, str], field: str
):
    response = client.get(
        f"{API}/reports/sales", headers=demo_admin_headers(client, demo), params=params
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("validation_error", field)
