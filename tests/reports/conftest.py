"""A small business over two days, built only through our APIs and a platform simulator:
HQ issues micro-mall codes (admin API), a consumer buys a 美团 code (Meituan simulator), tills
at both stores redeem and reverse them (Terminal API) while the FakeClock moves a day.

Day 1 (2027-03-01, 11:00 in Shanghai): codes c0..c3 issued; c0 used at 皇岗店, c1 at 福田店,
the 美团 code at 皇岗店. Day 2 (11:00): c2 used at 皇岗店 and reversed at once. c3 never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.factories import FakeClock
from tests.helpers import (
    SEED_ORDER,
    buy_meituan,
    demo_admin_headers,
    must_redeem,
    open_order,
    platform_listing,
    terminal_headers,
)
from tests.platforms.flows.conftest import (
    douyin_server,
    meituan,
    meituan_server,
    settings,
    weimall_server,
)
from voucherbridge.bootstrap import Container
from voucherbridge.chain import sign_in

__all__ = ["douyin_server", "meituan", "meituan_server", "settings", "weimall_server"]

API = "/api/admin/v1"
DAY1 = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, inside opening hours
# A listing title a spreadsheet would run as a formula: exports must neutralize it.
FORMULA_TITLE = "=1+1 美团代金券"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sign_in, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def day_clock(container: Container) -> FakeClock:
    fake = FakeClock(DAY1)
    container.clock = fake
    return fake


def _listing_id(client: Any, admin: dict[str, str], public_id: str) -> int:
    rows = client.get(f"{API}/listings", headers=admin).json()
    return next(int(r["id"]) for r in rows if r["public_id"] == public_id)


def _redeem_at(client: Any, key: str, code: str) -> dict[str, Any]:
    headers = terminal_headers(key)
    order = open_order(client, headers, **SEED_ORDER)
    return must_redeem(client, headers, code, order["id"])


@pytest.fixture
def world(
    client: Any,
    demo: dict[str, Any],
    day_clock: FakeClock,
    meituan: httpx.Client,
) -> Iterator[dict[str, Any]]:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{API}/stores", headers=hq).json()}
    keys = demo["terminal_keys"]
    cash = demo["listings"]["weimall"]["cash"]
    listing_id = _listing_id(client, hq, cash["public_id"])
    issued = client.post(
        f"{API}/listings/{listing_id}/codes",
        headers=hq,
        json={"quantity": 4, "reference": "reports-day-1"},
    )
    assert issued.status_code == 201, issued.text
    codes = issued.json()["codes"]
    mt_listing = platform_listing(
        client, hq, "meituan", "880001", title=FORMULA_TITLE, price_fen=5990, per_order_limit=5
    )
    # The simulator keeps its own (real) clock: its session would expire in 2027; the code is
    # bought valid long enough to be used on our FakeClock's day.
    [mt_code] = buy_meituan(meituan, "880001", valid_days=400)
    used = {
        "c0": _redeem_at(client, keys["皇岗店"], codes[0]),
        "c1": _redeem_at(client, keys["福田店"], codes[1]),
        "mt": _redeem_at(client, keys["皇岗店"], mt_code),
    }
    day_clock.advance(days=1)
    used["c2"] = _redeem_at(client, keys["皇岗店"], codes[2])
    back = client.post(
        f"/api/v1/redemptions/{used['c2']['id']}/reverse",
        headers=terminal_headers(keys["皇岗店"]),
        json={"reason": "顾客取消"},
    )
    assert back.status_code == 200, back.text
    # console sessions last hours, not days: sign in again on day 2
    return {
        "hq": demo_admin_headers(client, demo),
        "manager": demo_admin_headers(client, demo, "store_manager"),
        "stores": stores,
        "codes": codes,
        "mt_code": mt_code,
        "mt_listing": mt_listing,
        "cash_listing_id": listing_id,
        "cash": cash,
        "used": used,
        "discount": {k: int(v["discount_fen"]) for k, v in used.items()},
    }
