"""A Meituan purchase of several vouchers at the counter (choose how many one scan uses), and a
whole shift on the POS tablet: three bills, one held, a combined payment, a multi-use Meituan
code through the Meituan simulator, a reversal confirmed, the held bill taken back and closed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers_cashier import (
    admin_headers,
    applied,
    fetch_order,
    set_till_printer,
    sign_in,
)
from tests.browser._helpers_till import (
    answer,
    open_bill,
    open_bills,
    scan,
    scan_and_confirm,
    till,  # noqa: F401  (the fixture: one run per screen size)
)
from tests.counter._printer import printer_listener
from tests.helpers import buy_meituan, platform_listing
from tests.platforms.flows.conftest import MEITUAN_KEY, MEITUAN_SECRET, meituan, meituan_server
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread

__all__ = ["meituan", "meituan_server"]  # the flows' simulator fixtures, used here


@pytest.fixture
def settings(
    database_url: str, weimall_server: ServerThread, meituan_server: ServerThread
) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        log_level="WARNING",
        weimall_base_url=weimall_server.base_url,
        meituan_base_url=meituan_server.base_url,
        meituan_app_key=MEITUAN_KEY,
        meituan_app_secret=MEITUAN_SECRET,
        platform_retry_wait_s=0.01,
        platform_timeout_s=5.0,
    )


def _meituan_codes(live: str, demo: dict[str, Any], meituan: httpx.Client, deal: str) -> list[str]:
    """A 美团 100元代金券 listing of `deal` (five a bill), and a guest's purchase of three."""
    with httpx.Client(base_url=live) as api:
        platform_listing(
            api,
            admin_headers(live, demo),
            "meituan",
            deal,
            name="美团100元代金券",
            title="美团 100元代金券",
            price_fen=5990,
            per_order_limit=5,
        )
    return buy_meituan(meituan, deal, count=3)


def _live_consumes(meituan: httpx.Client) -> list[dict[str, Any]]:
    consumes = meituan.get("/_sim/state").json()["consumes"]
    return [c for c in consumes if c["reversed_at"] is None]


def test_a_meituan_purchase_of_three_redeems_as_many_as_the_cashier_chooses(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    meituan: httpx.Client,
    shot: Any,
) -> None:
    page = till
    codes = _meituan_codes(live, demo, meituan, "880101")
    sign_in(page, live, demo["terminal_key"])
    order_id = open_bill(page)
    scan(page, codes[0])
    expect(page.locator("#prepare-meta")).to_contain_text("可用 3 张")
    expect(page.locator("#count-box")).to_be_visible()
    expect(page.locator("#count-of")).to_have_text("共可用 3 张 · +/- 键调整")
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    page.keyboard.press("+")
    expect(page.locator("#count")).to_have_value("2")
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥200.00(2 张)")
    page.keyboard.press("+")
    page.keyboard.press("+")  # no more than the platform said
    expect(page.locator("#count")).to_have_value("3")
    expect(page.locator("#count-plus")).to_be_disabled()
    page.keyboard.press("-")
    expect(page.locator("#count")).to_have_value("2")
    expect(page.locator("#scan")).to_have_value("")  # the keys never reached the box
    viewport = page.viewport_size or {}
    shot(page, f"meituan-count-{viewport.get('width')}")
    page.wait_for_timeout(300)  # the cashier reads the value
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the seed's extra Enter: still two, not four
    expect(page.locator("#vouchers li")).to_have_count(2)
    expect(page.locator("#done")).to_have_text("核销成功: 美团100元代金券 × 2 张,抵扣 ¥200.00")
    expect(page.locator("#due")).to_have_text("¥84.00")
    assert len(applied(fetch_order(live, demo, order_id))) == 2
    assert len(_live_consumes(meituan)) == 2  # Meituan consumed two, in one scan


def test_a_shift_three_bills_one_held_paid_in_parts_a_meituan_code_and_back_to_the_held_one(
    tablet: Page,
    live: str,
    demo: dict[str, Any],
    meituan: httpx.Client,
    shot: Any,
) -> None:
    page = tablet
    meituan_codes = _meituan_codes(live, demo, meituan, "880102")
    sign_in(page, live, demo["terminal_key"])

    # --- bill 1, table A01: a micro-mall voucher on it, then the guests step out: 挂单
    held = open_bill(page, table="A01", guests="4")
    scan_and_confirm(page, demo["codes"]["cash"][0])
    page.keyboard.press("F3")
    answer(page, "本单已核销 1 张券(抵扣 100.00 元),确定挂单吗?", yes=True)
    expect(page.locator("#done")).to_contain_text("已挂单: 台位 A01 · 4 人")
    shot(page, "shift-held")

    # --- bill 2, table A02: member card and cash together
    paid = open_bill(page, table="A02", guests="2")
    page.select_option("#tender", "member_card")
    page.fill("#card-no", "5188001")
    page.fill("#amount", "100")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(page.locator("#remaining")).to_have_text("还差 184.00 元")
    page.select_option("#tender", "cash")
    page.fill("#amount", "200")
    page.get_by_role("button", name=re.compile("^结账")).click()
    expect(page.locator("#change")).to_have_text("结账完成 · 找零 ¥16.00")
    shot(page, "shift-combined")
    with printer_listener() as printer:  # the store's receipt printer, on loopback
        set_till_printer(live, demo, printer.port)
        page.get_by_role("button", name="打印小票").click()
        expect(page.locator("#done")).to_have_text(
            f"已发送到小票机 127.0.0.1:{printer.port} (第1次打印)"
        )
        [job] = printer.wait_for(1)
    assert job.startswith(b"\x1b@")  # ESC @, then the receipt in GB18030
    assert "会员卡: 100.00".encode("gb18030") in job
    assert "现金: 200.00".encode("gb18030") in job

    # --- bill 3, table A03: two of a Meituan purchase in one scan; one goes back, confirmed
    third = open_bill(page, table="A03", guests="6")
    # the last bill's "结账完成" is gone, not just hidden, so nobody reads it as this bill's
    expect(page.locator("#change")).to_be_hidden()
    expect(page.locator("#change")).to_have_text("")
    scan(page, meituan_codes[0])
    page.keyboard.press("+")
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥200.00(2 张)")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(2)
    expect(page.locator("#vouchers li").last).to_contain_text("还可撤销 10 分钟")  # Meituan's 10
    page.keyboard.press("F4")
    expect(page.locator("#ask-text")).to_contain_text("美团上的这次核销同时取消")
    shot(page, "shift-reverse-ask")
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(1)
    expect(page.locator("#due")).to_have_text("¥184.00")
    assert len(_live_consumes(meituan)) == 1  # cancelled on Meituan too
    page.keyboard.press("F8")
    expect(page.locator("#change")).to_contain_text("结账完成")

    # --- the A01 guests come back: 取单, pay, and no bill is left open
    assert [b["id"] for b in open_bills(live, demo)] == [held]
    page.keyboard.press("F7")
    rows = page.locator("#bills-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("A01")
    expect(rows.first).to_contain_text("¥184.00")
    shot(page, "shift-bills")
    page.keyboard.press("Enter")  # the focus is on its 取单 button
    expect(page.locator("#order-where")).to_have_text("台位 A01 · 4 人")
    page.keyboard.press("F8")
    expect(page.locator("#change")).to_contain_text("结账完成")
    shot(page, "shift-closed")

    assert open_bills(live, demo) == []
    summary = [
        (o["table"], o["status"], len(o["vouchers"]), o["paid_fen"])
        for o in (fetch_order(live, demo, i) for i in (held, paid, third))
    ]
    assert summary == [
        ("A01", "closed", 1, 18400),
        ("A02", "closed", 0, 30000),
        ("A03", "closed", 1, 18400),
    ]
