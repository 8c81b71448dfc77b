"""Reconciliation from an uploaded CSV statement (Chinese headers, GBK or UTF-8 with BOM,
yuan or fen), refused files, and a store manager's reach (their stores' runs only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from tests.factories import FakeClock
from tests.helpers import buy_meituan, demo_admin_headers, must_redeem, platform_listing
from tests.platforms.flows.conftest import sim_clock_follows
from tests.reconciliation.tools import API, china_day, codes_of, counts, store_id, totals

Order = Callable[..., dict[str, Any]]


def _upload(
    client: Any, headers: dict[str, str], store: int, day: date, content: bytes, **form: str
) -> httpx.Response:
    data = {"platform": "meituan", "store_id": str(store), "date": day.isoformat(), **form}
    files = {"file": ("对账单.csv", content, "text/csv")}
    response: httpx.Response = client.post(
        f"{API}/reconciliations/upload", headers=headers, data=data, files=files
    )
    return response


def test_an_uploaded_statement_is_compared_code_by_code(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
    noon: FakeClock,
):
    platform_listing(client, admin, "meituan", "880200", price_fen=5990, per_order_limit=5)
    sim_clock_follows(meituan, noon)
    a, b, c, d = buy_meituan(meituan, "880200", count=4)
    for code in (a, b, c, d):
        must_redeem(client, auth, code, new_order()["id"])
    day, store = china_day(noon), store_id(client, admin)
    rows = [
        "券码,金额(元),状态,核销时间,门店",
        f"{a},59.90,已核销,{day} 12:00:05,mt-shop-1",
        f"{b},59.00,已核销,{day} 12:00:06,mt-shop-1",
        f"{d},59.90,已撤销,{day} 12:00:07,mt-shop-1",
        f"9999999999,10.00,已核销,{day} 13:00:00,mt-shop-1",
        f"8888888888,10.00,已核销,{day} 13:00:00,mt-shop-2",  # another shop's line: skipped
    ]
    sent = _upload(client, admin, store, day, "\r\n".join(rows).encode("gb18030"))
    assert sent.status_code == 201, sent.text
    run = sent.json()
    assert (run["source"], run["trigger"], run["started_by"]) == ("csv", "manual", "admin")
    assert counts(run) == {
        "matched": 1,
        "theirs_only": 1,
        "ours_only": 1,
        "amount_differs": 1,
        "status_differs": 1,
    }
    assert (codes_of(run, "matched"), codes_of(run, "amount_differs")) == ([a], [b])
    assert (codes_of(run, "ours_only"), codes_of(run, "status_differs")) == ([c], [d])
    assert codes_of(run, "theirs_only") == ["9999999999"]
    [foreign] = run["theirs_only"]
    assert foreign["theirs_at"] == f"{day}T13:00:00+08:00"
    assert totals(run) == (4 * 5990, 5990 + 5900 + 1000, 5990 + 5900 + 1000 - 4 * 5990)

    in_fen = "\ufeffcode,amount_fen,status\n" + "\n".join(
        f"{x},5990,redeemed" for x in (a, b, c, d)
    )
    same = _upload(client, admin, store, day, in_fen.encode("utf-8"))
    assert same.status_code == 201, same.text
    assert same.json()["consistent"] is True
    assert counts(same.json())["matched"] == 4


def test_a_bad_statement_names_the_row_and_keeps_nothing(
    client: Any, admin: dict[str, str], noon: FakeClock
):
    day, store = china_day(noon), store_id(client, admin)
    cases = {
        "券码,金额(元)\n1234567890,abc\n": "csv row 2: amount",
        "券码,金额(元),状态\n1234567890,10,丢了\n": "csv row 2: status",
        "金额(元)\n10\n": "csv header: code",
        "": "csv header",
    }
    for content, field in cases.items():
        refused = _upload(client, admin, store, day, content.encode())
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("validation_error", field)
    assert client.get(f"{API}/reconciliations", headers=admin).json() == []


def test_a_store_manager_reconciles_and_reads_only_their_stores(
    client: Any, demo: dict[str, Any], admin: dict[str, str], noon: FakeClock
):
    manager = demo_admin_headers(client, demo, "store_manager")
    day = china_day(noon)
    own, other = store_id(client, admin), store_id(client, admin, "福田店")
    empty = b"code,amount_fen\n"
    hq_run = _upload(client, admin, other, day, empty).json()
    mine = _upload(client, manager, own, day, empty)
    assert mine.status_code == 201, mine.text

    refused = _upload(client, manager, other, day, empty)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    asked = client.post(
        f"{API}/reconciliations",
        headers=manager,
        json={"platform": "meituan", "store_id": other, "date": day.isoformat()},
    )
    assert asked.status_code == 403
    listed = client.get(f"{API}/reconciliations", headers=manager, params={"date": str(day)})
    assert [r["id"] for r in listed.json()] == [mine.json()["id"]]
    assert client.get(f"{API}/reconciliations/{hq_run['id']}", headers=manager).status_code == 403
    assert client.get(f"{API}/reconciliations/999999", headers=admin).status_code == 404
    both = client.get(f"{API}/reconciliations", headers=admin, params={"date": str(day)}).json()
    assert {r["store"] for r in both} == {"皇岗店", "福田店"}
