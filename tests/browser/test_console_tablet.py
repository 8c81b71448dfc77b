"""The console points of issue 18 in Chromium at a tablet (1024x768) and a desktop (1366x768):
edit and disable a store, an item, a terminal, a listing and a template (the confirmation says
what happens, for a listing or a template how many sold codes are still unused), the outbox page
(an error as a sentence, its time in Beijing time) and a till's printer page. Each page is read
as a person reads it, never scrolls sideways (scrollWidth <= innerWidth), and is photographed at
both sizes under the pytest temp dir (`console-<size>-<page>.png`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_console import console_login, expect_dead_mall_use, sold_campaign
from tests.browser._pages import fresh_page
from tests.factories import redeem_demo_cash
from tests.helpers import (
    ADMIN_API,
    demo_admin_headers,
)
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.service import deliver_due
from voucherbridge_sims.simkit.server import ServerThread

SIZES = {"tablet": {"width": 1024, "height": 768}, "desktop": {"width": 1366, "height": 768}}
REDEEMED = "/open/v1/vouchers/redeemed"


@pytest.fixture(params=list(SIZES))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, str]]:
    """A fresh Chinese browser at the tablet's or the desktop's size, and that size's name."""
    for page in fresh_page(browser, SIZES[request.param]):
        yield page, request.param


# The right edge of the furthest button or link in a table (a row's 编辑 / 停用 / 重试 ...).
_ACTIONS_RIGHT = """Math.max(0, ...[...document.querySelectorAll(
    '.table-wrap button, .table-wrap .row-actions a')]
  .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().right))"""


def _fits(page: Page, shot: Any, name: str) -> None:
    """The page never scrolls sideways at this size, nor hides a row's buttons inside a table
    that would have to be scrolled to reach them; then its photograph."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{name}: {width}px wide in a {inner}px window"
    actions = page.evaluate(_ACTIONS_RIGHT)
    assert actions <= inner, f"{name}: a row's button ends at {actions}px of {inner}px"
    shot(page, name)


@contextmanager
def _hq(live: str, demo: dict[str, Any]) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """The admin API as HQ: the client and HQ's headers."""
    with httpx.Client(base_url=live, timeout=10) as http:
        yield http, demo_admin_headers(http, demo)


def _ids(live: str, demo: dict[str, Any]) -> dict[str, int]:
    with _hq(live, demo) as (http, hq):
        stores = {s["name"]: s["id"] for s in http.get(f"{ADMIN_API}/stores", headers=hq).json()}
        tills = http.get(f"{ADMIN_API}/terminals", headers=hq).json()
    till = next(t["id"] for t in tills if t["store_id"] == stores["福田店"] and t["active"])
    return {"store": stores["福田店"], "till": int(till)}


def _confirm(page: Page) -> Any:
    confirm = page.locator("#confirm")
    expect(confirm.locator("button", has_text="确认停用")).to_be_focused()
    return confirm


def test_a_store_an_item_and_a_till_are_edited_and_disabled_with_a_confirmation(
    screen: tuple[Page, str], live: str, demo: dict[str, Any], shot: Any
) -> None:
    page, size = screen
    ids = _ids(live, demo)
    console_login(
        page, live, demo["console"]["user"], demo["console"]["password"], "/console/stores"
    )
    _fits(page, shot, f"console-{size}-stores")

    # A store: its opening hours from the edit form, read back as a person says them.
    page.locator(f'tr[data-store-id="{ids["store"]}"] a', has_text="编辑").click()
    expect(page.locator("h1")).to_have_text("编辑门店")
    page.fill("input[name=address]", "深圳市福田区福华路 8 号")
    page.fill("input[name=opening_hours]", "10:00-14:00,17:00-02:00")
    _fits(page, shot, f"console-{size}-store-edit")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".opening-hours")).to_have_text("10:00 至 14:00、17:00 至次日 02:00")
    expect(page.locator("dl.facts")).to_contain_text("深圳市福田区福华路 8 号")
    page.get_by_role("button", name="停用门店").click()
    confirm = _confirm(page)
    expect(confirm.locator("h2")).to_have_text("停用门店「福田店」?")
    expect(confirm).to_contain_text(
        "本店 1 台收银终端立即不能核销、不能开单,收银员也不能再登录本店的收银页面。"
    )
    _fits(page, shot, f"console-{size}-store-confirm")
    confirm.locator("button", has_text="确认停用").click()
    expect(page.locator("dd.store-state")).to_have_text("已停用,本店收银终端不能核销")
    page.get_by_role("button", name="重新启用门店").click()
    expect(page.locator("dd.store-state")).to_have_text("营业中")

    # An item: a new price, then 停售 after the confirmation, 重新上架 again.
    page.goto(f"{live}/console/items")
    _fits(page, shot, f"console-{size}-items")
    page.goto(f"{live}/console/items/BEER01/edit")
    expect(page.locator("h1")).to_have_text("编辑菜品")
    page.fill("input[name=unit_price]", "12.50")
    _fits(page, shot, f"console-{size}-item-edit")
    page.get_by_role("button", name="保存").click()
    row = page.locator("tr", has=page.locator("code", has_text="BEER01")).first
    expect(row).to_contain_text("12.50")
    row.locator('[data-disable="items:BEER01"]').click()
    confirm = _confirm(page)
    expect(confirm.locator("h2")).to_contain_text("停售菜品「")
    expect(confirm).to_contain_text("收银页面不再列出这道菜;已开的消费单和券模板不受影响。")
    _fits(page, shot, f"console-{size}-item-confirm")
    confirm.locator("button", has_text="确认停用").click()
    expect(page.locator('[data-enable="items:BEER01"]')).to_have_text("重新上架")

    # A till: renamed, then disabled after the confirmation, enabled again.
    page.goto(f"{live}/console/terminals/{ids['till']}/edit")
    expect(page.locator("h1")).to_have_text("编辑收银终端")
    page.fill("input[name=name]", "福田店 前台 2 号机")
    _fits(page, shot, f"console-{size}-terminal-edit")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("table")).to_contain_text("福田店 前台 2 号机")
    _fits(page, shot, f"console-{size}-terminals")
    page.locator(f'[data-disable="terminals:{ids["till"]}"]').click()
    confirm = _confirm(page)
    expect(confirm.locator("h2")).to_have_text("停用收银终端「福田店 前台 2 号机」?")
    expect(confirm).to_contain_text("这台收银终端的密钥立即不能再使用:不能核销、不能开单。")
    _fits(page, shot, f"console-{size}-terminal-confirm")
    confirm.locator("button", has_text="确认停用").click()
    expect(page.locator(f'[data-enable="terminals:{ids["till"]}"]')).to_have_text("启用")
    page.locator(f'[data-enable="terminals:{ids["till"]}"]').click()
    expect(page.locator(f'[data-disable="terminals:{ids["till"]}"]')).to_have_text("停用")


def test_a_listing_and_a_template_say_how_many_sold_codes_stay_redeemable(
    screen: tuple[Page, str], live: str, demo: dict[str, Any], shot: Any
) -> None:
    page, size = screen
    made = sold_campaign(
        live,
        demo,
        name="50元代金券(秋季)",
        title="50元券·秋季团购",
        face_fen=5000,
        price_fen=3990,
        reference="autumn",
    )
    console_login(
        page, live, demo["console"]["user"], demo["console"]["password"], "/console/listings"
    )
    _fits(page, shot, f"console-{size}-listings")

    page.locator(f'tr[data-listing-id="{made["listing"]}"] a', has_text="50元券·秋季团购").click()
    expect(page.locator("h1")).to_have_text("编辑票券关联")
    page.fill("input[name=title]", "50元券·秋季团购(老)")
    _fits(page, shot, f"console-{size}-listing-edit")
    page.get_by_role("button", name="保存").click()
    row = page.locator(f'tr[data-listing-id="{made["listing"]}"]')
    expect(row).to_contain_text("50元券·秋季团购(老)")
    row.locator(f'[data-disable="listings:{made["listing"]}"]').click()
    confirm = _confirm(page)
    expect(confirm.locator("h2")).to_have_text("停用票券关联「50元券·秋季团购(老)」?")
    expect(confirm.locator(".unused")).to_have_text(
        "还有 4 张已售出未使用的券,停用后它们仍可在有效期内核销。"
    )
    expect(confirm).to_contain_text("停用只停止新的售卖")
    _fits(page, shot, f"console-{size}-listing-confirm")
    confirm.locator("button", has_text="确认停用").click()
    expect(page.locator(f'tr[data-listing-id="{made["listing"]}"] .listing-state')).to_have_text(
        "已停用已售出的券仍可核销"
    )

    page.goto(f"{live}/console/templates")
    _fits(page, shot, f"console-{size}-templates")
    page.goto(f"{live}/console/templates/{made['template']}/edit")
    expect(page.locator("input[name=name]")).to_have_value("50元代金券(秋季)")
    page.fill("input[name=name]", "50元代金券(秋季·老)")
    _fits(page, shot, f"console-{size}-template-edit")
    page.locator("form button[type=submit]").last.click()
    row = page.locator(f'tr[data-template-id="{made["template"]}"]')
    expect(row).to_contain_text("50元代金券(秋季·老)")
    expect(row).to_contain_text("50.00")
    row.locator(f'[data-disable="templates:{made["template"]}"]').click()
    confirm = _confirm(page)
    expect(confirm.locator("h2")).to_have_text("停用券模板「50元代金券(秋季·老)」?")
    expect(confirm).to_contain_text("它的 1 个票券关联都会停止售卖新券。")
    expect(confirm.locator(".unused")).to_have_text(
        "还有 4 张已售出未使用的券,停用后它们仍可在有效期内核销。"
    )
    _fits(page, shot, f"console-{size}-template-confirm")
    confirm.locator("button", has_text="确认停用").click()
    expect(page.locator(f'tr[data-template-id="{made["template"]}"] .template-state')).to_have_text(
        "已停用已售出的券仍可核销"
    )


def test_the_outbox_page_reads_as_sentences_in_beijing_time(
    screen: tuple[Page, str],
    live: str,
    demo: dict[str, Any],
    container: Container,
    weimall_server: ServerThread,
    shot: Any,
) -> None:
    page, size = screen
    with httpx.Client(base_url=weimall_server.base_url, timeout=10) as mall:
        mall.post(
            "/_sim/faults", json={"path": REDEEMED, "kind": "biz_error", "biz_code": 40401}
        ).raise_for_status()
        try:
            redeem_demo_cash(container, demo)
            report = deliver_due(container.uow, container.deliverers(), container.clock)
        finally:
            mall.delete("/_sim/faults").raise_for_status()
    assert report.dead == 1
    with _hq(live, demo) as (http, hq):
        [dead] = http.get(f"{ADMIN_API}/outbox", params={"status": "dead"}, headers=hq).json()[
            "rows"
        ]
    row = expect_dead_mall_use(page, live, demo, dead)
    expect(page.locator("#outbox-table")).not_to_contain_text("UTC")
    _fits(page, shot, f"console-{size}-outbox")
    row.get_by_role("button", name="重试").click()
    expect(page.locator(".notice")).to_contain_text(f"已重新排队 #{dead['id']}")


def test_the_printer_page_of_a_till_sets_refuses_and_shows_the_address(
    screen: tuple[Page, str], live: str, demo: dict[str, Any], shot: Any
) -> None:
    page, size = screen
    till = _ids(live, demo)["till"]
    console_login(
        page, live, demo["console"]["user"], demo["console"]["password"], "/console/terminals"
    )
    page.locator(f'a[href="/console/terminals/{till}/printer"]').click()
    expect(page.locator("#printer-now")).to_have_text("当前: 未设置")
    _fits(page, shot, f"console-{size}-printer")

    page.fill("input[name=printer_host]", "192.168.1.500")
    page.get_by_role("button", name="保存").click()
    expect(page.locator('[data-field="printer_host"]')).to_have_text(
        "小票机地址有误:请填写打印机的主机名或 IPv4 地址,如 192.168.1.50"
    )
    _fits(page, shot, f"console-{size}-printer-refused")

    page.fill("input[name=printer_host]", "192.168.1.50")
    page.select_option("select[name=printer_width_mm]", "58")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{live}/console/terminals")
    cell = page.locator(
        "td.printer", has=page.locator(f'a[href="/console/terminals/{till}/printer"]')
    )
    expect(cell).to_contain_text("192.168.1.50 · 58mm")
    _fits(page, shot, f"console-{size}-terminals-printer")
    page.locator(f'a[href="/console/terminals/{till}/printer"]').click()
    expect(page.locator("#printer-now")).to_have_text("当前: 192.168.1.50 · 58mm")
