"""One Idempotency-Key sent by several threads at once for a Douyin or Meituan code, through our
API served on loopback and the platform simulators: the first answer wins, every other request
gets exactly its body again (same request) or `idempotency_conflict` (another request); the
code is used once on the platform and once with us."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import buy_douyin, buy_meituan, douyin_codes, platform_listing
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge_sims.simkit.server import ServerThread

API = "/api/admin/v1"
THREADS = 6
POI = "7001000000001"  # 皇岗店's Douyin POI; its Meituan shop is mt-shop-1
Order = Callable[..., dict[str, Any]]


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


def _platform_code(
    platform: str, client: Any, admin: dict[str, str], douyin: httpx.Client, meituan: httpx.Client
) -> str:
    product = "sku-race-1" if platform == "douyin" else "880951"
    platform_listing(client, admin, platform, product)
    if platform == "douyin":
        bought = buy_douyin(douyin, poi_id=POI, sku_id=product, count=1, code_type="platform")
        return douyin_codes(bought)[0]
    return buy_meituan(meituan, product)[0]


def race(base_url: str, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[Any]:
    """POST every body to /redemptions at the same moment, one thread each; the answers."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=90) as http:
            barrier.wait(timeout=60)
            answers[i] = http.post("/api/v1/redemptions", json=bodies[i], headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(a is not None for a in answers)
    return answers


def _used_on_platform(douyin: httpx.Client, meituan: httpx.Client) -> int:
    """Live uses on either platform (a verify cancelled again does not count)."""
    verified = douyin.get("/_sim/state").json()["verifications"]
    consumed = meituan.get("/_sim/state").json()["consumes"]
    return sum(v["cancelled_at"] is None for v in verified) + sum(
        c["reversed_at"] is None for c in consumed
    )


def _redemptions(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.redemptions)).scalar_one())


@pytest.mark.parametrize("platform", ["douyin", "meituan"])
def test_the_same_request_sent_at_once_is_used_once_and_every_loser_gets_its_body(
    platform: str,
    served: str,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    meituan: httpx.Client,
    container: Container,
):
    code = _platform_code(platform, client, admin, douyin, meituan)
    order = new_order()
    headers = {**auth, "Idempotency-Key": f"pos-{platform}-race"}
    answers = race(served, headers, [{"code": code, "order_id": order["id"]}] * THREADS)

    assert Counter(a.status_code for a in answers) == {201: 1, 200: THREADS - 1}, [
        a.text for a in answers
    ]
    [first] = [a.json() for a in answers if a.status_code == 201]
    assert first["code"] == code
    assert all(a.json() == first for a in answers)  # the winner's body, field for field
    assert _redemptions(container) == 1
    assert _used_on_platform(douyin, meituan) == 1
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["due_fen"] == order["due_fen"] - first["discount_fen"]


@pytest.mark.parametrize("platform", ["douyin", "meituan"])
def test_one_key_on_other_orders_at_once_is_one_redemption_and_idempotency_conflicts(
    platform: str,
    served: str,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    meituan: httpx.Client,
    container: Container,
):
    code = _platform_code(platform, client, admin, douyin, meituan)
    orders = [new_order() for _ in range(THREADS)]
    headers = {**auth, "Idempotency-Key": f"pos-{platform}-mixed"}
    answers = race(served, headers, [{"code": code, "order_id": o["id"]} for o in orders])

    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}, [
        a.text for a in answers
    ]
    refusals = [a.json()["error"] for a in answers if a.status_code == 409]
    assert {(e["code"], e["message"]) for e in refusals} == {
        ("idempotency_conflict", "同一请求号的请求内容不一致")
    }
    assert _redemptions(container) == 1
    assert _used_on_platform(douyin, meituan) == 1
