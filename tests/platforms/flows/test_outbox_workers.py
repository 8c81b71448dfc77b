"""Two outbox workers side by side on PostgreSQL (FOR UPDATE SKIP LOCKED): 500 uses of Douyin
merchant codes reach the Douyin simulator, each exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.helpers import DEMO_POI, buy_douyin, demo_listing, douyin_codes, open_order, redeem
from tests.platforms.flows.conftest import DOUYIN_KEY
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.service import deliver_due

VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
ORDERS, PER_ORDER = 5, 100


def test_two_workers_deliver_500_uses_once_each(
    database_url: str,
    container: Container,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    douyin: httpx.Client,
    live: str,
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers run side by side on PostgreSQL only (SQLite: one worker)")
    assert DOUYIN_KEY
    listing = demo_listing(client, admin, "douyin")
    codes: list[str] = []
    for _ in range(ORDERS):
        bought = buy_douyin(
            douyin,
            poi_id=DEMO_POI,
            third_sku_id=listing["public_id"],
            count=PER_ORDER,
            code_type="merchant",
        )
        codes += douyin_codes(bought)
    assert len(set(codes)) == ORDERS * PER_ORDER
    line = {"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 1, "unit_price_fen": 1990}
    for code in codes:
        order = open_order(client, auth, [line])
        redeemed = redeem(client, auth, code, order["id"])
        assert redeemed.status_code == 201, redeemed.text

    deliverers = container.deliverers()
    totals: Counter[str] = Counter()
    lock = threading.Lock()

    def work() -> None:
        while True:
            report = deliver_due(container.uow, deliverers, container.clock, batch=25)
            with lock:
                totals["delivered"] += report.delivered
                totals["failed"] += report.retried + report.dead
            if report.delivered + report.retried + report.dead == 0:
                return

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert (totals["delivered"], totals["failed"]) == (500, 0)
    calls = douyin.get("/_sim/requests", params={"path": VERIFY}).json()
    tokens = Counter(c["body"]["verify_token"] for c in calls)
    assert len(tokens) == 500
    assert max(tokens.values()) == 1  # no row was delivered twice
    state = douyin.get("/_sim/state").json()
    assert len(state["verifications"]) == 500
