"""The console's outbox page (投递记录) in the merchant's words, with the failures made by the
platform simulators over loopback: what was sent (核销 / 撤销), where (抖音核销同步 ...), why it
failed as a sentence of the error catalogue (never a Python dict), when in Beijing time; a dead
row is retried from the page. The code archive names its events (平台验券, 核销 ...) too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.factories import FakeClock
from tests.helpers import (
    DEMO_POI,
    buy_douyin,
    buy_douyin_merchant_codes,
    buy_weimall,
    demo_listing,
    douyin_codes,
    must_redeem,
    platform_listing,
    redeem,
    sim_fault,
)
from tests.platforms.flows.conftest import sim_clock_follows

API = "/api/admin/v1"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
REDEEMED = "/open/v1/vouchers/redeemed"
BREAD = [{"item_code": "BREAD01", "name": "法棍泡芙", "quantity": 2, "unit_price_fen": 1990}]
SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]
BEIJING = ZoneInfo("Asia/Shanghai")
Order = Callable[..., dict[str, Any]]


def _sign_in(client: Any, demo: dict[str, Any]) -> None:
    person = {"username": demo["console"]["user"], "password": demo["console"]["password"]}
    assert client.post("/console/login", data=person, follow_redirects=False).is_redirect


def _row(html: str, outbox_id: int) -> str:
    match = re.search(rf'<tr data-outbox-id="{outbox_id}".*?</tr>', html, re.DOTALL)
    assert match, f"no row {outbox_id} on the page"
    return match.group(0)


def _cell(row: str, field: str) -> str:
    match = re.search(rf'data-field="{field}">(.*?)</td>', row, re.DOTALL)
    assert match, f"no {field} cell in {row}"
    return match.group(1).strip()


def _csrf(client: Any) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/outbox").text)
    assert match
    return match.group(1)


def _dead(client: Any, admin: dict[str, str], topic: str) -> dict[str, Any]:
    listed = client.get(f"{API}/outbox", params={"status": "dead"}, headers=admin).json()
    [row] = [r for r in listed["rows"] if r["topic"] == topic]
    return dict(row)


def test_a_reversal_douyin_refuses_reads_as_douyins_sentence_in_beijing_time(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
) -> None:
    [code] = buy_douyin_merchant_codes(douyin, client, admin)
    used = must_redeem(client, auth, code, new_order(lines=BREAD)["id"])
    assert deliver().delivered == 1
    queued_at = clock()
    reversed_ = client.post(f"/api/v1/redemptions/{used['id']}/reverse", headers=auth)
    assert reversed_.status_code == 200, reversed_.text
    sim_fault(douyin, CANCEL, kind="biz_error", biz_code=2119006, count=None)
    assert deliver().dead == 1
    dead = _dead(client, admin, "code.reversed")

    _sign_in(client, demo)
    html = client.get("/console/outbox").text
    row = _row(html, dead["id"])
    assert _cell(row, "topic") == "撤销"
    assert _cell(row, "destination") == "抖音核销同步"
    assert _cell(row, "error") == "抖音拒绝了本次操作:该券码用户操作转赠中,暂不支持核销"
    assert "{" not in row  # no stored shape leaks out
    assert "platform_refused" not in row
    beijing = queued_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    utc = queued_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    assert _cell(row, "created_at") == beijing != utc
    assert code in row

    english = _row(client.get("/console/outbox?lang=en").text, dead["id"])
    assert (_cell(english, "topic"), _cell(english, "destination")) == (
        "Reversal",
        "Douyin redemption sync",
    )
    assert _cell(english, "error") == (
        "Douyin refused: 该券码用户操作转赠中,暂不支持核销"  # Douyin's own words stay Chinese
    )
    client.get("/console/outbox?lang=zh")


def test_a_dead_outbox_row_is_retried_from_the_page(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    weimall: httpx.Client,
    live: str,
    deliver: Callable[[], Any],
    clock: FakeClock,
) -> None:
    listing = demo_listing(client, admin, "weimall")
    [refused, lost] = buy_weimall(weimall, listing["public_id"], quantity=2)["codes"]
    # the mall does not know the first code: dead at once, a sentence of the catalogue
    sim_fault(weimall, REDEEMED, kind="biz_error", biz_code=40401)
    must_redeem(client, auth, refused, new_order(lines=SOUP)["id"])
    assert deliver().dead == 1
    dead = _dead(client, admin, "code.redeemed")
    weimall.delete("/_sim/faults").raise_for_status()
    # the mall is down for every try of the second: dead once its retries are spent
    sim_fault(weimall, REDEEMED, kind="http_503", count=1000)
    assert redeem(client, auth, lost, new_order(lines=SOUP)["id"]).status_code == 201
    for _ in range(12):
        deliver()
        clock.advance(hours=2)
    weimall.delete("/_sim/faults").raise_for_status()

    _sign_in(client, demo)
    html = client.get("/console/outbox").text
    row = _row(html, dead["id"])
    assert (_cell(row, "topic"), _cell(row, "destination")) == ("核销", "微商城核销同步")
    assert _cell(row, "error") == "票券不存在"
    assert f'action="/console/outbox/{dead["id"]}/retry"' in row
    rows = re.findall(r'<tr data-outbox-id="\d+".*?</tr>', html, re.DOTALL)
    spent = [r for r in rows if lost in r]
    assert [_cell(r, "error") for r in spent] == ["多次重试仍未成功:微商城暂时无法验券,请稍后重试"]

    retried = client.post(f"/console/outbox/{dead['id']}/retry", data={"csrf": _csrf(client)})
    assert retried.status_code == 200
    assert "已重新排队" in retried.text
    assert f'action="/console/outbox/{dead["id"]}/retry"' not in retried.text
    again = client.post(f"/console/outbox/{dead['id']}/retry", data={"csrf": _csrf(client)})
    assert again.status_code == 409
    assert "只有投递失败的记录可以手动重试" in again.text
    assert deliver().delivered == 1  # the mall, asked again, takes the use


def test_the_code_archive_names_each_event_in_words(
    client: Any,
    demo: dict[str, Any],
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    clock: FakeClock,
) -> None:
    platform_listing(
        client, admin, "douyin", "sku-901", name="抖音100元代金券", title="抖音 100元代金券"
    )
    sim_clock_follows(douyin, clock)
    [code] = douyin_codes(
        buy_douyin(douyin, poi_id=DEMO_POI, sku_id="sku-901", count=1, code_type="platform")
    )
    must_redeem(client, auth, code, new_order()["id"])

    _sign_in(client, demo)
    page = client.get("/console/codes", params={"q": code})
    assert page.status_code == 200, page.text
    events = re.findall(
        r'<tr data-event="(\w+)">\s*<td[^>]*>([^<]*)</td><td>([^<]*)</td>', page.text
    )
    assert [(e, name) for e, _at, name in events] == [
        ("verified_with_platform", "平台验券"),
        ("redeemed", "核销"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", at) for _e, at, _n in events)
    english = client.get("/console/codes", params={"q": code, "lang": "en"}).text
    assert "Verified with the platform" in english
    assert ">verified_with_platform<" not in english
    client.get("/console/codes?lang=zh")
