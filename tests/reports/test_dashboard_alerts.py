"""The dashboard counts its alerts in the database (issue #16): each window's count is the
number of alerts the alerts page lists since the 30-day window's start whose time falls in the
window, for HQ and for a store manager, with an alert of every kind raised through the
Terminal API, the Douyin simulator and the nightly reconciliation.

Yesterday (12:00 in Beijing): a code used at 皇岗店 and tried at 福田店; 皇岗店's till reverses
five times in five minutes (福田店's four: under the threshold); a 反结账 that Douyin half
refuses; two Douyin codes used, one missing from Douyin's ledger. Today 02:30: a use at
福田店, closed; 04:00: the nightly reconciliation finds the missing use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import FakeClock
from tests.helpers import (
    SEED_ORDER,
    buy_douyin,
    demo_admin_headers,
    douyin_codes,
    must_redeem,
    open_order,
    platform_listing,
    terminal_headers,
)
from tests.platforms.flows.conftest import admin, douyin, sim_clock_follows
from tests.reconciliation.tools import china_day, sim_statement
from voucherbridge.audit.alerts import AlertSettings
from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.db import tables as t
from voucherbridge.reconciliation.nightly import run_nightly
from voucherbridge.reconciliation.service import StatementReader
from voucherbridge.reports import dashboard as board
from voucherbridge.reports.repository import Window

__all__ = ["admin", "douyin"]

API = "/api/admin/v1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
POI = "7001000000001"  # 皇岗店 on Douyin
KINDS = {
    "code_at_two_stores",
    "many_reversals",
    "outside_opening_hours",
    "platform_out_of_step",
    "reconciliation_mismatch",
}


def _cash_codes(client: Any, admin: dict[str, str], demo: dict[str, Any], n: int) -> list[str]:
    public_id = demo["listings"]["weimall"]["cash"]["public_id"]
    listings = client.get(f"{API}/listings", headers=admin).json()
    listing_id = next(int(r["id"]) for r in listings if r["public_id"] == public_id)
    issued = client.post(
        f"{API}/listings/{listing_id}/codes",
        headers=admin,
        json={"quantity": n, "reference": "dashboard-alerts"},
    )
    assert issued.status_code == 201, issued.text
    return list(issued.json()["codes"])


def _reverse(client: Any, till: dict[str, str], redemption: dict[str, Any]) -> None:
    back = client.post(f"/api/v1/redemptions/{redemption['id']}/reverse", headers=till)
    assert back.status_code == 200, back.text


def _douyin_reopen_half_refused(
    client: Any, admin: dict[str, str], till: dict[str, str], douyin: httpx.Client
) -> None:
    platform_listing(
        client, admin, "douyin", "sku-dash-reopen", title="抖音 反结账", per_order_limit=5
    )
    codes = douyin_codes(
        buy_douyin(douyin, poi_id=POI, sku_id="sku-dash-reopen", count=2, code_type="platform")
    )
    order = open_order(client, till, **SEED_ORDER)
    for code in codes:
        must_redeem(client, till, code, order["id"])
    due = client.get(f"/api/v1/orders/{order['id']}", headers=till).json()["due_fen"]
    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": due}]},
        headers=till,
    )
    assert paid.status_code == 200, paid.text
    cancel = "/goodlife/v1/fulfilment/certificate/cancel/"
    douyin.post("/_sim/faults", json={"path": cancel, "kind": "http_503", "count": 50, "skip": 1})
    refused = client.post(f"/api/v1/orders/{order['id']}/reopen", json={}, headers=till)
    assert refused.status_code == 503, refused.text
    douyin.delete("/_sim/faults")


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def alerted(
    client: Any,
    container: Container,
    demo: dict[str, Any],
    admin: dict[str, str],
    douyin: httpx.Client,
) -> FakeClock:
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    clock = FakeClock(datetime(today.year, today.month, today.day, 4, tzinfo=UTC))
    container.clock = clock
    sim_clock_follows(douyin, clock)
    here = terminal_headers(demo["terminal_keys"]["皇岗店"])
    there = terminal_headers(demo["terminal_keys"]["福田店"])
    two_stores, busy, quiet, late = _cash_codes(client, admin, demo, 4)

    must_redeem(client, here, two_stores, open_order(client, here, **SEED_ORDER)["id"])
    tried = client.post(
        "/api/v1/vouchers/prepare",
        json={"code": two_stores, "order_id": open_order(client, there, **SEED_ORDER)["id"]},
        headers=there,
    )
    assert tried.status_code == 409, tried.text
    for till, times, code in ((here, 5, busy), (there, 4, quiet)):
        order_id = open_order(client, till, **SEED_ORDER)["id"]
        for _ in range(times):
            _reverse(client, till, must_redeem(client, till, code, order_id))
            clock.advance(minutes=1)
    _douyin_reopen_half_refused(client, admin, here, douyin)
    platform_listing(client, admin, "douyin", "sku-dash-ledger", title="抖音 对账")
    ledger = douyin_codes(
        buy_douyin(douyin, poi_id=POI, sku_id="sku-dash-ledger", count=2, code_type="platform")
    )
    for code in ledger:
        must_redeem(client, here, code, open_order(client, here, **SEED_ORDER)["id"])
    sim_statement(douyin, china_day(clock), drop=[ledger[1]])

    clock.advance(seconds=(_at(today, 18, 30) - clock.now).total_seconds())  # 02:30
    must_redeem(client, there, late, open_order(client, there, **SEED_ORDER)["id"])
    clock.advance(minutes=90)  # 04:00
    reader = StatementReader(container.platform_clients, container.secrets.open)
    assert run_nightly(container.uow, reader, container.clock).claimed
    return clock


def _windows(clock: FakeClock) -> list[Window]:
    today = clock.now.astimezone(SHANGHAI).date()
    return [Window(today - timedelta(days=d - 1), today, SHANGHAI) for d in (1, 7, 30)]


def _listed(client: Any, headers: dict[str, str], windows: list[Window]) -> list[dict[str, Any]]:
    since = windows[-1].start.isoformat()
    answer = client.get(f"{API}/alerts", headers=headers, params={"since": since})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["alerts"])


def _per_window(alerts: list[dict[str, Any]], windows: list[Window]) -> list[int]:
    times = [datetime.fromisoformat(a["at"]) for a in alerts]
    return [sum(1 for at in times if w.start <= at < w.end) for w in windows]


def test_the_dashboards_alert_counts_are_the_alerts_pages(
    client: Any, container: Container, demo: dict[str, Any], alerted: FakeClock
):
    windows = _windows(alerted)
    for role, wanted in (("console", KINDS), ("store_manager", KINDS - {"outside_opening_hours"})):
        headers = demo_admin_headers(client, demo, role)
        listed = _listed(client, headers, windows)
        assert {a["kind"] for a in listed} == wanted, listed
        shown = client.get(f"{API}/reports/dashboard", headers=headers)
        assert shown.status_code == 200, shown.text
        counts = [w["alerts"] for w in shown.json()["windows"]]
        assert counts == _per_window(listed, windows), role
        assert counts[0] >= 1  # today: 02:30 (HQ) and the night's run
        assert counts[1] > counts[0]


def test_the_counts_in_sql_are_those_of_the_rules_in_python(
    container: Container, demo: dict[str, Any], alerted: FakeClock, client: Any
):
    """The same through the use cases, at other thresholds too, for HQ and each store."""
    windows = _windows(alerted)
    with container.engine.connect() as conn:
        merchant_id = int(conn.execute(select(func.min(t.merchants.c.id))).scalar_one())
    hq = demo_admin_headers(client, demo)  # signed in again: the morning's session has lapsed
    stores = [int(s["id"]) for s in client.get(f"{API}/stores", headers=hq).json()]
    actors = [Actor.operator(merchant_id)]
    actors += [Actor(1, merchant_id, "m", "store_manager", frozenset({s})) for s in stores]
    for actor in actors:
        for threshold in (4, 5, 6):
            settings = AlertSettings(reversals_threshold=threshold)
            with container.uow() as uow:
                in_sql = board.alert_counts(uow, actor, windows, settings)
            in_python = board._counted_in_python(container.uow(), actor, windows, settings)
            assert in_sql == in_python, (actor.store_ids, threshold)
            assert in_sql is not None
            assert in_sql[-1] > 0
