"""On SQLite a platform's push is handled on the event loop, but never waits there: a flash
sale's purchase that finds another writer holding the database (a console action, another
process) waits for it on a thread while the service keeps answering, then issues its codes once.

The writer is held until the service has answered something else, so a loop stuck in the push
would fail the test (httpx's timeout) rather than pass by luck of timing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import demo_admin_headers
from tests.writer_held import WRITERS, answers_meanwhile
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.demo.seed import DEMO_BINDINGS
from voucherbridge.platforms.weimall.signing import build_envelope
from voucherbridge_sims.simkit.server import ServerThread

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WM_STORE, WM_SECRET = DEMO_BINDINGS["weimall"][0].format(n=1), DEMO_BINDINGS["weimall"][1]


@pytest.fixture
def served(app: Any, demo: dict[str, Any]) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


def _listing(base_url: str, demo: dict[str, Any]) -> str:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        admin = demo_admin_headers(http, demo)
        listings = http.get("/api/admin/v1/listings", headers=admin).json()
    return next(
        str(li["public_id"])
        for li in listings
        if li["platform"] == "weimall" and li["code_type"] == "merchant" and li["active"]
    )


def _purchase(base_url: str, listing: str, order_no: str) -> httpx.Response:
    payload = {
        "order_no": order_no,
        "coupon_id": listing,
        "title": "60代100元票券抢购",
        "quantity": 2,
        "unit_price_fen": 6000,
        "buyer": {"openid": "o-sim-buyer"},
    }
    envelope = build_envelope(
        WM_STORE, WM_SECRET, "VOUCHER_PURCHASED", payload, now_s=int(time.time())
    )
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    with httpx.Client(base_url=base_url, timeout=60) as http:
        return http.post(
            "/hooks/weimall", content=body, headers={"content-type": "application/json"}
        )


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_purchase_push_waits_for_another_writer_then_issues_its_codes_once(
    container: Container, demo: dict[str, Any], served: str, writer: str
):
    listing, order_no = _listing(served, demo), f"WM-HELD-{len(writer)}"
    with ThreadPoolExecutor(1) as pool:
        with WRITERS[writer](container):
            pending = pool.submit(_purchase, served, listing, order_no)
            answers_meanwhile(served, pending)
        got = pending.result(timeout=60)
    assert got.status_code == 200, got.text
    assert (got.json()["code"], got.json()["msg"]) == (0, "success")
    codes = got.json()["data"]["codes"]
    assert len(codes) == 2
    with container.engine.connect() as conn:
        held = select(func.count()).select_from(t.codes).where(t.codes.c.code.in_(codes))
        assert conn.execute(held).scalar_one() == 2
