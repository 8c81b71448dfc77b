"""Alerts a merchant should see: a code tried at two stores, many reversals by one till,
redemptions while the store is closed. Listed by the admin API and `voucherbridge alerts`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tests.factories import FakeClock
from tests.helpers import (
    demo_admin_headers,
    must_redeem,
    open_order,
    redeem_on_new_order,
    terminal_headers,
)
from voucherbridge.bootstrap import Container
from voucherbridge.cli.main import app as cli
from voucherbridge.domain.alerts import is_open, parse_opening_hours

API = "/api/admin/v1"
LINES = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _reverse(client: Any, till: dict[str, str], redemption_id: str) -> None:
    response = client.post(f"/api/v1/redemptions/{redemption_id}/reverse", headers=till)
    assert response.status_code == 200, response.text


def _tills(demo: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The terminal headers of 皇岗店's and 福田店's demo tills."""
    return terminal_headers(demo["terminal_key"]), terminal_headers(demo["terminal_keys"]["福田店"])


def _alerts(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{API}/alerts", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["alerts"])


@pytest.fixture
def clock(container: Container) -> FakeClock:
    """Mid-afternoon in Shanghai, when the demo stores (10:00-22:00) are open."""
    today = datetime.now(SHANGHAI).date() + timedelta(days=1)
    fake = FakeClock(datetime(today.year, today.month, today.day, 15, 0, tzinfo=SHANGHAI))
    container.clock = fake
    return fake


def test_a_code_used_at_one_store_and_tried_at_another(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    code = demo["codes"]["cash"][0]
    till, other = _tills(demo)
    redeem_on_new_order(client, till, code, LINES)
    tried = client.post(
        "/api/v1/vouchers/prepare",
        json={"code": code, "order_id": open_order(client, other, LINES)["id"]},
        headers=other,
    )
    assert tried.status_code == 409
    assert tried.json()["error"]["code"] == "voucher_already_redeemed"

    alerts = _alerts(client, demo_admin_headers(client, demo))
    assert [a["kind"] for a in alerts] == ["code_at_two_stores"]
    assert {s["name"] for s in alerts[0]["stores"]} == {"皇岗店", "福田店"}
    assert alerts[0]["detail"]["code"] != code, "the alert shows the code masked"
    # the manager of one of the two stores sees it too
    assert len(_alerts(client, demo_admin_headers(client, demo, "store_manager"))) == 1
    # and so does the console's alerts page
    console = demo["console"]
    signed_in = {"username": console["user"], "password": console["password"]}
    client.post("/console/login", data=signed_in)
    page = client.get("/console/alerts")
    assert page.status_code == 200
    assert "同一张券在两家门店尝试" in page.text
    assert alerts[0]["detail"]["code"] in page.text
    assert "Same code at two stores" in client.get("/console/alerts?lang=en").text


def test_many_reversals_by_one_till(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    busy, quiet = _tills(demo)
    for till, times, code in (
        (busy, 5, demo["codes"]["cash"][0]),
        (quiet, 4, demo["codes"]["cash"][1]),
    ):
        order_id = open_order(client, till, LINES)["id"]
        for _ in range(times):
            _reverse(client, till, must_redeem(client, till, code, order_id)["id"])
            clock.advance(minutes=1)

    alerts = _alerts(client, demo_admin_headers(client, demo))
    assert [a["kind"] for a in alerts] == ["many_reversals"]
    assert alerts[0]["detail"]["count"] == 5
    assert [s["name"] for s in alerts[0]["stores"]] == ["皇岗店"]
    # the threshold is a setting
    container.settings.alert_reversals_threshold = 4
    assert len(_alerts(client, demo_admin_headers(client, demo))) == 2


def test_redemptions_outside_opening_hours(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    till, other = _tills(demo)
    redeem_on_new_order(client, till, demo["codes"]["cash"][0], LINES)  # 15:00, open
    clock.advance(hours=11, minutes=30)  # 02:30 the next night
    redeem_on_new_order(client, other, demo["codes"]["cash"][1], LINES)

    hq = demo_admin_headers(client, demo)
    alerts = _alerts(client, hq)
    assert [a["kind"] for a in alerts] == ["outside_opening_hours"]
    assert alerts[0]["detail"]["opening_hours"] == "10:00-22:00"
    assert alerts[0]["detail"]["local_time"].endswith("02:30")
    assert alerts[0]["stores"][0]["name"] == "福田店"
    # the manager of 皇岗店 has nothing to look at
    assert _alerts(client, demo_admin_headers(client, demo, "store_manager")) == []

    # opening hours are part of the store; a store open all night raises no such alert
    store_id = alerts[0]["stores"][0]["id"]
    typo = client.patch(f"{API}/stores/{store_id}", json={"opening_hours": "10点-22点"}, headers=hq)
    assert typo.status_code == 422
    patched = client.patch(
        f"{API}/stores/{store_id}", json={"opening_hours": "10:00-03:00"}, headers=hq
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["opening_hours"] == "10:00-03:00"
    assert _alerts(client, hq) == []


def test_the_cli_lists_alerts_as_json(
    client: Any,
    container: Container,
    demo: dict[str, Any],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
):
    clock.advance(hours=12)  # 03:00
    redeem_on_new_order(client, _tills(demo)[0], demo["codes"]["cash"][0], LINES)
    url = container.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("VOUCHERBRIDGE_ENVIRONMENT", "test")
    since = (clock.now - timedelta(hours=1)).isoformat()
    result = CliRunner().invoke(cli, ["alerts", "--json", "--since", since])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [a["kind"] for a in listed["alerts"]] == ["outside_opening_hours"]
    later = (clock.now + timedelta(minutes=1)).isoformat()
    quiet = CliRunner().invoke(cli, ["alerts", "--since", later])
    assert quiet.exit_code == 0
    assert "没有告警" in quiet.output


@pytest.mark.parametrize(
    ("hours", "local", "open_"),
    [
        ("10:00-22:00", "09:59", False),
        ("10:00-22:00", "10:00", True),
        ("10:00-22:00", "22:00", False),
        ("11:00-14:00,17:00-02:00", "01:30", True),
        ("11:00-14:00,17:00-02:00", "15:00", False),
        ("00:00-24:00", "03:00", True),
        ("", "03:00", True),
    ],
)
def test_opening_hours_rule(hours: str, local: str, open_: bool):
    hour, minute = (int(x) for x in local.split(":"))
    moment = datetime(2026, 11, 23, hour, minute, tzinfo=UTC)
    assert is_open(parse_opening_hours(hours), moment) is open_
