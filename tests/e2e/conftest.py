"""E2E fixtures: the HTTP API on a migrated database with the demo merchant and a hand clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import FakeClock
from tests.helpers import open_order, terminal_headers
from voucherbridge.bootstrap import Container

SEED_ORDER: dict[str, Any] = {
    "table": "S001",
    "guests": 10,
    "lines": [
        {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 2, "unit_price_fen": 1800},
        {"item_code": "WLJ01", "name": "王老吉", "quantity": 1, "unit_price_fen": 4800},
        {
            "item_code": "SOUP01",
            "name": "凉瓜黄豆汤底",
            "quantity": 1,
            "unit_price_fen": 19900,
            "unit": "条",
        },
    ],
    "service_fee_fen": 100,
}


@pytest.fixture
def clock(container: Container) -> FakeClock:
    fake = FakeClock()
    container.clock = fake
    return fake


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return terminal_headers(demo["terminal_key"])


@pytest.fixture
def new_order(client: Any, auth: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Open an order (the seed's bill unless other lines are given) and return its body."""

    def make(
        lines: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {**SEED_ORDER, **fields}
        if lines is not None:
            body["lines"] = lines
        return open_order(client, headers or auth, **body)

    return make
