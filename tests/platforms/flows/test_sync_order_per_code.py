"""Order per code, end to end against the platform simulators over loopback HTTP: a code
redeemed and then reversed while its platform is down reaches the platform as a use and then
its reversal once the platform is back, so both sides show the code unused again (weimall,
Douyin merchant codes; Meituan codes are verified and cancelled live, nothing queued); a
reversal behind a use the platform refused is skipped without a call and comes back when the
use is retried by hand; two workers on PostgreSQL keep the order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.factories import FakeClock
from tests.helpers import (
    DEMO_POI,
    buy_douyin,
    buy_meituan,
    buy_weimall,
    demo_admin_headers,
    demo_listing,
    douyin_codes,
    must_redeem,
    platform_listing,
    redeem,
    sim_fault,
)
from voucherbridge.bootstrap import Container, build
from voucherbridge.outbox.repository import OutboxRepo
from voucherbridge.outbox.service import deliver_due
from voucherbridge.platforms.sync import USE_REFUSED, USE_UNKNOWN

API = "/api/admin/v1"
REDEEMED, REVERSED = "/open/v1/vouchers/redeemed", "/open/v1/vouchers/reversed"
VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]
BREAD = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]
Order = Callable[..., dict[str, Any]]


def _down(sim: httpx.Client) -> None:
    """Every platform call fails with HTTP 503 until `_up` (the /_sim/ hooks keep working)."""
    sim_fault(sim, "*", kind="http_503", count=None)


def _up(sim: httpx.Client) -> None:
    sim.delete("/_sim/faults").raise_for_status()


def _reverse(client: Any, auth: dict[str, str], redemption_id: str) -> httpx.Response:
    return client.post(
        f"/api/v1/redemptions/{redemption_id}/reverse", json={"reason": "客人取消"}, headers=auth
    )


def _queue_use_then_reversal_while_down(
    client: Any,
    auth: dict[str, str],
    code: str,
    order_id: int,
    deliver: Callable[[], Any],
    clock: FakeClock,
) -> str:
    """Redeem while the platform is down, let the use back off 4 times, then reverse: the
    reversal is due long before its use (what used to send it first)."""
    used = must_redeem(client, auth, code, order_id)
    for wait_s in (5, 10, 20, 0):
        assert deliver().retried == 1
        clock.advance(seconds=wait_s)
    reversed_ = _reverse(client, auth, used["id"])
    assert (reversed_.status_code, reversed_.json()["status"]) == (200, "reversed")
    return str(used["id"])


def _back_up_and_drain(sim: httpx.Client, deliver: Callable[[], Any], clock: FakeClock) -> None:
    _up(sim)
    early = deliver()  # the reversal is due, its use is not: nothing goes
    assert (early.delivered, early.retried, early.dead) == (0, 0, 0)
    clock.advance(seconds=45)
    assert deliver().delivered == 1  # the use
    assert deliver().delivered == 1  # then its reversal
    assert deliver().delivered == 0


def _outbox(client: Any, demo: dict[str, Any]) -> dict[str, Any]:
    listed = client.get(f"{API}/outbox", headers=demo_admin_headers(client, demo))
    assert listed.status_code == 200, listed.text
    return dict(listed.json())


def _our_status(client: Any, demo: dict[str, Any], code: str) -> str:
    archive = client.get(f"{API}/codes/{code}", headers=demo_admin_headers(client, demo))
    assert archive.status_code == 200, archive.text
    return str(archive.json()["status"])


def _answers(sim: httpx.Client, path: str) -> list[Any]:
    """The mall's answer code to each call of `path` answered 200 (its HTTP 503s left out)."""
    calls = sim.get("/_sim/requests", params={"path": path}).json()
    return [c["response"]["body"]["code"] for c in calls if c["response"]["status"] == 200]


def test_weimall_use_and_reversal_queued_while_down_arrive_in_order(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
):
    [code] = buy_weimall(weimall, demo_listing(client, admin, "weimall")["public_id"], quantity=1)[
        "codes"
    ]
    _down(weimall)
    rid = _queue_use_then_reversal_while_down(
        client, auth, code, new_order(lines=SOUP)["id"], deliver, clock
    )
    _back_up_and_drain(weimall, deliver, clock)

    [mine] = [c for c in weimall.get("/_sim/weimall/codes").json() if c["code"] == code]
    assert mine["status"] == "unused"  # the mall shows the code usable again...
    assert _our_status(client, demo, code) == "issued"  # ...as we do
    [record] = [r for r in weimall.get("/_sim/state").json()["redemptions"] if r["code"] == code]
    assert (record["redemption_id"], record["reversed_at"] is not None) == (rid, True)
    assert (_answers(weimall, REDEEMED), _answers(weimall, REVERSED)) == ([0], [0])
    outbox = _outbox(client, demo)
    assert outbox["counts"] == {"delivered": 2}
    assert [r["attempts"] for r in outbox["rows"]] == [1, 5]  # the reversal never waited a try


def test_douyin_use_and_reversal_queued_while_down_arrive_in_order(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
):
    bought = buy_douyin(
        douyin,
        poi_id=DEMO_POI,
        third_sku_id=demo_listing(client, admin, "douyin")["public_id"],
        count=1,
        code_type="merchant",
    )
    [code] = douyin_codes(bought)
    _down(douyin)
    rid = _queue_use_then_reversal_while_down(
        client, auth, code, new_order(lines=BREAD)["id"], deliver, clock
    )
    _back_up_and_drain(douyin, deliver, clock)

    state = douyin.get("/_sim/state").json()
    [use] = [v for v in state["verifications"] if v["code"] == code]
    assert (use["verify_token"], use["cancelled_at"] is not None) == (rid, True)
    [order] = [o for o in state["orders"] if o["order_id"] == bought["order_id"]]
    assert [c["status"] for c in order["codes"]] == ["unused"]
    assert _our_status(client, demo, code) == "issued"
    cancels = douyin.get("/_sim/requests", params={"path": CANCEL}).json()
    assert [c["response"]["status"] for c in cancels] == [200]
    assert _outbox(client, demo)["counts"] == {"delivered": 2}


def test_meituan_codes_are_reversed_live_so_nothing_is_queued_out_of_order(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    meituan: httpx.Client,
    deliver: Callable[[], Any],
):
    platform_listing(client, admin, "meituan", "880009", name="美团100元代金券", price_fen=5990)
    [code] = buy_meituan(meituan, "880009")
    order = new_order()
    _down(meituan)
    refused = redeem(client, auth, code, order["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "platform_unavailable")
    _up(meituan)
    used = must_redeem(client, auth, code, order["id"])
    _down(meituan)
    down = _reverse(client, auth, used["id"])
    assert (down.status_code, down.json()["error"]["message"]) == (
        503,
        "美团暂时无法验券,请稍后重试",
    )
    [consume] = meituan.get("/_sim/state").json()["consumes"]
    assert consume["reversed_at"] is None  # used on both sides: still in step
    assert _our_status(client, demo, code) == "redeemed"

    _up(meituan)
    done = _reverse(client, auth, used["id"])
    assert (done.status_code, done.json()["status"]) == (200, "reversed")
    state = meituan.get("/_sim/state").json()
    assert state["consumes"][0]["reversed_at"] is not None
    assert [r["status"] for r in state["receipts"] if r["receipt_code"] == code] == ["unused"]
    assert _our_status(client, demo, code) == "issued"
    assert deliver().delivered == 0
    assert _outbox(client, demo)["rows"] == []  # no row that could arrive out of order


def test_a_reversal_behind_a_use_the_mall_refused_is_skipped_then_sent_after_a_retry(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
):
    [code] = buy_weimall(weimall, demo_listing(client, admin, "weimall")["public_id"], quantity=1)[
        "codes"
    ]
    used = must_redeem(client, auth, code, new_order(lines=SOUP)["id"])
    assert _reverse(client, auth, used["id"]).status_code == 200
    sim_fault(weimall, REDEEMED, kind="biz_error", biz_code=40401)
    assert deliver().dead == 1  # the mall says it does not know the code: dead at once
    assert deliver().skipped == 1
    assert _answers(weimall, REVERSED) == []  # no call for a use the mall never counted
    outbox = _outbox(client, demo)
    assert outbox["counts"] == {"dead": 1, "skipped": 1}
    [skipped] = [r for r in outbox["rows"] if r["status"] == "skipped"]
    assert skipped["last_error"] == USE_REFUSED
    sign_in = {"username": demo["console"]["user"], "password": demo["console"]["password"]}
    assert client.post("/console/login", data=sign_in, follow_redirects=False).is_redirect
    page = client.get("/console/outbox")
    assert page.status_code == 200
    assert USE_REFUSED in page.text  # what a person reads

    [dead] = [r for r in outbox["rows"] if r["status"] == "dead"]
    retried = client.post(f"{API}/outbox/{dead['id']}/retry", headers=admin)
    assert (retried.status_code, retried.json()["status"]) == (200, "pending")
    assert deliver().delivered == 1
    assert deliver().delivered == 1
    [mine] = [c for c in weimall.get("/_sim/weimall/codes").json() if c["code"] == code]
    assert (mine["status"], mine["use_count"]) == ("unused", 1)
    assert (_answers(weimall, REDEEMED), _answers(weimall, REVERSED)) == ([40401, 0], [0])
    assert _outbox(client, demo)["counts"] == {"delivered": 2}


def test_a_reversal_behind_a_use_that_ran_out_of_retries_asks_and_is_skipped_not_dead(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
):
    [code] = buy_weimall(weimall, demo_listing(client, admin, "weimall")["public_id"], quantity=1)[
        "codes"
    ]
    _down(weimall)
    used = must_redeem(client, auth, code, new_order(lines=SOUP)["id"])
    assert _reverse(client, auth, used["id"]).status_code == 200
    for _ in range(12):
        if deliver().dead:
            break
        clock.advance(hours=2)
    outbox = _outbox(client, demo)
    assert outbox["counts"] == {"dead": 1, "pending": 1}
    [waiting] = [r for r in outbox["rows"] if r["status"] == "pending"]
    assert (waiting["topic"], waiting["attempts"]) == ("code.reversed", 0)

    # The use's outcome is unknown (an answer may have been lost), so the mall is asked.
    _up(weimall)
    assert deliver().skipped == 1
    assert _answers(weimall, REVERSED) == [40401]
    outbox = _outbox(client, demo)
    assert outbox["counts"] == {"dead": 1, "skipped": 1}  # the use stays visible for a person
    [skipped] = [r for r in outbox["rows"] if r["status"] == "skipped"]
    assert skipped["last_error"] == USE_UNKNOWN
    [mine] = [c for c in weimall.get("/_sim/weimall/codes").json() if c["code"] == code]
    assert (mine["status"], mine["use_count"]) == ("unused", 0)
    assert _our_status(client, demo, code) == "issued"


CODES = 12


def test_two_workers_on_postgresql_deliver_each_codes_use_before_its_reversal(
    database_url: str,
    container: Container,
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    weimall: httpx.Client,
    live: str,
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL only (SQLite: one worker)")
    listing = demo_listing(client, admin, "weimall")["public_id"]
    codes = buy_weimall(weimall, listing, quantity=CODES)["codes"]
    _down(weimall)
    for code in codes:
        used = must_redeem(client, auth, code, new_order(lines=SOUP)["id"])
        assert _reverse(client, auth, used["id"]).status_code == 200
    _up(weimall)
    weimall.post("/_sim/latency", json={"path": "/open/v1/vouchers/*", "ms": 20})
    workers = [build(container.settings) for _ in range(2)]  # two engines, as two processes
    start = threading.Barrier(2)
    totals = [[0, 0], [0, 0]]  # per worker: delivered, failed

    def work(index: int) -> None:
        made = workers[index]
        start.wait()
        while True:
            # 3 a batch, 2 rows a code: a batch of the old claim split codes between workers
            report = deliver_due(made.uow, made.deliverers(), made.clock, batch=3)
            totals[index][0] += report.delivered
            totals[index][1] += report.retried + report.dead
            with made.uow() as uow:
                counts = uow.repo(OutboxRepo).counts(1)
            if not (counts.get("pending") or counts.get("inflight")):
                return
            if not report.delivered:
                time.sleep(0.01)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    for made in workers:
        made.engine.dispose()
    assert (sum(t[0] for t in totals), sum(t[1] for t in totals)) == (2 * CODES, 0)
    assert _answers(weimall, REVERSED) == [0] * CODES  # none came before its use
    mall = {c["code"]: c["status"] for c in weimall.get("/_sim/weimall/codes").json()}
    assert [mall[c] for c in codes] == ["unused"] * CODES
    assert _outbox(client, demo)["counts"] == {"delivered": 2 * CODES}
