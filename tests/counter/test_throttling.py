"""Code guessing at a till is throttled per terminal and per store, across API processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import FakeClock
from tests.helpers import demo_admin_headers, open_order, redeem, terminal_headers
from voucherbridge.app import create_app
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge.db import tables as t

LINES = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]


def _prepare(client: Any, key: str, order_id: int, code: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/vouchers/prepare",
        json={"code": code, "order_id": order_id},
        headers={**terminal_headers(key), **headers},
    )


def _guess(client: Any, key: str, order_id: int, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        response = _prepare(client, key, order_id, f"NOSUCH{n:04d}")
        assert response.status_code == 404, response.text


def _throttle_rows(container: Container) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(t.audit_log).where(t.audit_log.c.action == "voucher.guess_throttled")
            )
        )


@pytest.fixture
def clock(container: Container) -> FakeClock:
    fake = FakeClock()
    container.clock = fake
    return fake


def test_the_21st_unknown_code_in_a_minute_is_refused(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    key = demo["terminal_key"]
    order_id = open_order(client, terminal_headers(key), LINES)["id"]
    _guess(client, key, order_id, 20)

    refused = _prepare(client, key, order_id, "NOSUCH9999")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "尝试次数过多,请1分钟后再试"
    assert 1 <= error["details"]["retry_after_s"] <= 60
    assert refused.headers["Retry-After"] == str(error["details"]["retry_after_s"])
    english = _prepare(client, key, order_id, "NOSUCH9998", **{"Accept-Language": "en"})
    assert english.status_code == 429
    assert english.json()["error"]["message"] == "Too many attempts; please try again in a minute"
    # A real code does not get through either: a 200 would tell the guesser they hit one.
    real = _prepare(client, key, order_id, demo["codes"]["cash"][0])
    assert real.status_code == 429

    rows = _throttle_rows(container)
    assert len(rows) == 1, "one audit row per burst, not one per refusal"
    assert rows[0].actor_type == "terminal"
    assert rows[0].after["scope"] == "terminal"
    assert rows[0].after["unknown_codes_terminal"] == 20

    clock.advance(seconds=61)
    again = _prepare(client, key, order_id, demo["codes"]["cash"][0])
    assert again.status_code == 200, again.text


def test_another_store_is_unaffected(client: Any, demo: dict[str, Any], clock: FakeClock):
    key = demo["terminal_key"]
    _guess(client, key, open_order(client, terminal_headers(key), LINES)["id"], 20)
    order_id = open_order(client, terminal_headers(key), LINES)["id"]
    assert _prepare(client, key, order_id, "NOSUCH9999").status_code == 429

    other = demo["terminal_keys"]["福田店"]
    order_id = open_order(client, terminal_headers(other), LINES)["id"]
    response = _prepare(client, other, order_id, demo["codes"]["cash"][1])
    assert response.status_code == 200, response.text
    assert response.json()["redeemable"] is True


def test_redeem_is_throttled_like_prepare(client: Any, demo: dict[str, Any], clock: FakeClock):
    key = demo["terminal_key"]
    order_id = open_order(client, terminal_headers(key), LINES)["id"]
    for n in range(20):
        response = redeem(client, terminal_headers(key), f"NOSUCH{n:04d}", order_id)
        assert response.status_code == 404
    refused = redeem(client, terminal_headers(key), demo["codes"]["cash"][0], order_id)
    assert refused.status_code == 429
    clock.advance(seconds=61)
    redeemed = redeem(client, terminal_headers(key), demo["codes"]["cash"][0], order_id)
    assert redeemed.status_code == 201, redeemed.text


@pytest.fixture
def second_process(settings: Settings, container: Container) -> Iterator[Any]:
    """Another API process on the same database: its own engine, pool and app."""
    other = build(settings)
    other.clock = container.clock
    with TestClient(create_app(container=other)) as client:
        yield client
    other.engine.dispose()


def test_the_limit_holds_across_two_api_processes(
    client: Any, second_process: Any, demo: dict[str, Any], clock: FakeClock
):
    key = demo["terminal_key"]
    order_id = open_order(client, terminal_headers(key), LINES)["id"]
    _guess(client, key, order_id, 10)
    _guess(second_process, key, order_id, 10, start=10)
    assert _prepare(client, key, order_id, "NOSUCH9999").status_code == 429
    assert _prepare(second_process, key, order_id, "NOSUCH9999").status_code == 429


def test_the_store_limit_catches_guessing_spread_over_tills(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    container.settings.guess_limit_per_store_per_minute = 6
    hq = demo_admin_headers(client, demo)
    stores = client.get("/api/admin/v1/stores", headers=hq).json()
    store_id = next(s["id"] for s in stores if s["name"] == "皇岗店")
    made = client.post(
        "/api/admin/v1/terminals",
        json={"store_id": store_id, "name": "2号收银台"},
        headers=hq,
    )
    assert made.status_code == 201, made.text
    second_till = made.json()["key"]
    first_till = demo["terminal_key"]
    _guess(client, first_till, open_order(client, terminal_headers(first_till), LINES)["id"], 3)
    _guess(client, second_till, open_order(client, terminal_headers(second_till), LINES)["id"], 3)
    order_id = open_order(client, terminal_headers(second_till), LINES)["id"]
    refused = _prepare(client, second_till, order_id, "NOSUCH9999")
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["scope"] == "store"
