"""The cashier page through a shift (issue 18), at 1024x768 and on an 800x1280 POS tablet: open
bills held and taken back (挂单/取单), combined payment, questions before destructive actions with
a live reversal countdown, table/guests and line changes, tones and colours, keyboard and labels."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser._helpers_cashier import applied, fetch_order, sign_in
from tests.browser._helpers_till import (
    answer,
    open_bill,
    open_bills,
    scan,
    scan_and_confirm,
    till,  # noqa: F401  (the fixture: one run per screen size)
)

LEAVE = "本单已核销 1 张券(抵扣 100.00 元),确定挂单吗?"


def _size(page: Page) -> str:
    viewport = page.viewport_size or {}
    return f"{viewport.get('width')}x{viewport.get('height')}"


def test_a_bill_with_a_voucher_is_held_asked_first_and_taken_back(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    shot: Any,
) -> None:
    page = till
    sign_in(page, live, demo["terminal_key"])
    first = open_bill(page, table="A01", guests="4")
    expect(page.locator("#order-where")).to_have_text("台位 A01 · 4 人")
    scan_and_confirm(page, demo["codes"]["cash"][0])

    page.keyboard.press("F3")  # 挂单: a voucher is on it, so the page asks
    answer(page, LEAVE, yes=False)
    expect(page.locator("#order")).to_be_visible()  # 取消: the bill stays on screen
    page.keyboard.press("F2")  # a new bill would leave it too: the same question
    shot(page, f"bills-ask-{_size(page)}")
    answer(page, LEAVE, yes=False)
    assert int(page.evaluate("sessionStorage.getItem('vb_cashier_order')")) == first

    page.get_by_role("button", name="挂单").click()
    answer(page, LEAVE, yes=True)
    expect(page.locator("#order")).to_be_hidden()
    expect(page.locator("#done")).to_have_text("已挂单: 台位 A01 · 4 人,按 F7 取单")
    [held] = open_bills(live, demo)
    assert (held["id"], held["table"], held["due_fen"]) == (first, "A01", 18400)

    second = open_bill(page, table="B02", guests="2")  # nothing on the screen: no question
    expect(page.locator("#ask")).to_be_hidden()
    page.keyboard.press("F7")
    bills = page.locator("#bills")
    expect(bills).to_be_visible()
    rows = bills.locator("#bills-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("A01")
    expect(rows.nth(0)).to_contain_text("¥184.00")
    expect(rows.nth(0)).to_contain_text("100元代金券")
    expect(rows.nth(0)).to_contain_text(re.compile(r"\d{2}-\d{2} \d{2}:\d{2}"))  # Beijing time
    expect(rows.nth(1)).to_contain_text("B02")
    expect(bills.locator("#bills-rows button").first).to_be_focused()
    shot(page, f"bills-list-{_size(page)}")
    page.keyboard.press("Escape")
    expect(bills).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()

    page.get_by_role("button", name="取单").first.click()
    rows.nth(0).get_by_role("button", name="取单").click()  # B02 has no voucher: no question
    expect(page.locator("#order-where")).to_have_text("台位 A01 · 4 人")
    expect(page.locator("#due")).to_have_text("¥184.00")
    expect(page.locator("#vouchers li")).to_have_count(1)
    expect(page.locator("#done")).to_contain_text("已取单")
    assert [b["id"] for b in open_bills(live, demo)] == [first, second]  # both still open

    page.get_by_role("button", name="退出").click()  # signing out leaves it: asked first
    answer(page, LEAVE, yes=True)
    expect(page).to_have_url(f"{live}/cashier/login")
    assert fetch_order(live, demo, first)["status"] == "open"
    assert len(applied(fetch_order(live, demo, first))) == 1


def test_a_combined_payment_shows_what_is_left_as_each_tender_is_added(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    shot: Any,
) -> None:
    page = till
    sign_in(page, live, demo["terminal_key"])
    order_id = open_bill(page)
    expect(page.locator("#due")).to_have_text("¥284.00")
    remaining = page.locator("#remaining")

    page.select_option("#tender", "member_card")
    page.fill("#card-no", "5188001")
    page.fill("#amount", "100")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(remaining).to_have_text("还差 184.00 元")
    expect(page.locator("#amount")).to_have_value("184.00")

    page.select_option("#tender", "wechat")
    page.fill("#amount", "50")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(page.locator("#banner")).to_have_text("请输入支付单号")  # WeChat needs its reference
    page.fill("#reference", "wx-4200001")
    page.fill("#amount", "50")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(remaining).to_have_text("还差 134.00 元")

    page.select_option("#tender", "cash")
    page.fill("#amount", "200")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(remaining).to_have_text("找零 66.00 元")
    expect(page.locator("#tenders li")).to_have_count(3)
    shot(page, f"pay-combined-{_size(page)}")
    page.get_by_role("button", name="移除 现金 200.00").click()  # removable before checkout
    expect(page.locator("#tenders li")).to_have_count(2)
    expect(remaining).to_have_text("还差 134.00 元")
    expect(page.locator("#amount")).to_have_value("134.00")

    page.select_option("#tender", "member_card")
    page.fill("#card-no", "5188001")
    page.fill("#amount", "300")
    page.get_by_role("button", name="加一笔(组合支付)").click()
    expect(remaining).to_have_text("非现金支付超出应收 166.00 元,只有现金可以找零")
    page.get_by_role("button", name="移除 会员卡 300.00").click()

    page.select_option("#tender", "cash")
    page.fill("#amount", "150")  # the last tender straight from the boxes, with 结账
    page.get_by_role("button", name=re.compile("^结账")).click()
    expect(page.locator("#change")).to_have_text("结账完成 · 找零 ¥16.00")
    order = fetch_order(live, demo, order_id)
    assert order["status"] == "closed"
    assert [(t["type"], t["amount_fen"]) for t in order["tenders"]] == [
        ("member_card", 10000),
        ("wechat", 5000),
        ("cash", 15000),
    ]
    assert order["change_fen"] == 1600
    shot(page, f"pay-closed-{_size(page)}")


def test_reverse_and_reopen_ask_first_and_the_window_counts_down(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    shot: Any,
) -> None:
    page = till
    page.clock.install()  # the page's own clock: moved forward below, the server's is not
    sign_in(page, live, demo["terminal_key"])
    order_id = open_bill(page)
    code = demo["codes"]["cash"][0]
    scan_and_confirm(page, code)
    window = page.locator("#vouchers li .window")
    expect(window).to_have_text("还可撤销 60 分钟")  # the micro-mall's 60 minutes
    page.clock.fast_forward("45:00")
    expect(window).to_have_text("还可撤销 15 分钟")
    page.clock.fast_forward("14:30")
    expect(window).to_have_text(re.compile(r"还可撤销 \d+ 秒"))
    expect(window).to_have_class(re.compile("soon"))
    shot(page, f"reverse-countdown-{_size(page)}")

    page.keyboard.press("F4")
    answer(
        page,
        "撤销「100元代金券」的核销?本单抵扣的 100.00 元退回应收,"
        "微商城上的这次核销同时取消,券可再次使用。",
        yes=False,
    )
    assert len(applied(fetch_order(live, demo, order_id))) == 1  # Esc: nothing reversed
    page.keyboard.press("F4")
    shot(page, f"reverse-ask-{_size(page)}")
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_contain_text("券可再次使用")
    assert applied(fetch_order(live, demo, order_id)) == []

    scan_and_confirm(page, code)
    # The page's clock is now an hour ahead of the server's: the server's deadline still counts.
    expect(window).to_have_text("还可撤销 60 分钟")
    page.keyboard.press("F8")
    expect(page.locator("#change")).to_contain_text("结账完成")
    page.get_by_role("button", name="反结账").click()
    answer(
        page,
        "反结账将重新打开本单:已收的 184.00 元付款作废,1 张票券全部撤销退回"
        "(平台上的核销同时取消)。确定反结账吗?",
        yes=False,
    )
    assert fetch_order(live, demo, order_id)["status"] == "closed"
    page.get_by_role("button", name="反结账").click()
    expect(page.locator("#ask-yes")).to_have_text("确定反结账")
    shot(page, f"reopen-ask-{_size(page)}")
    page.get_by_role("button", name="确定反结账").click()
    expect(page.locator("#done")).to_have_text("已反结账,票券已退回")
    assert fetch_order(live, demo, order_id)["status"] == "open"


def test_table_guests_and_lines_change_but_never_below_the_vouchers(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    shot: Any,
) -> None:
    page = till
    sign_in(page, live, demo["terminal_key"])
    page.fill("#guests", "多")
    page.keyboard.press("F2")
    expect(page.locator("#banner")).to_have_text("人数请输入 0 到 10000 的整数")
    order_id = open_bill(page, table="C08", guests="6")
    order = fetch_order(live, demo, order_id)
    assert (order["table"], order["guests"]) == ("C08", 6)
    lines = page.locator("#lines tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(2)).to_contain_text("1条")  # the soup base is sold by the 条

    page.get_by_role("button", name="增加 朝日超爽黑生啤").click()
    expect(lines.nth(0)).to_contain_text("3份")
    expect(page.locator("#total")).to_have_text("¥302.00")
    expect(page.locator("#scan")).to_be_focused()  # a tap: the scanner's box is ready again
    more = page.get_by_role("button", name="增加 朝日超爽黑生啤")
    more.focus()
    page.keyboard.press("Enter")
    expect(lines.nth(0)).to_contain_text("4份")
    expect(more).to_be_focused()  # from the keyboard: the focus stays for the next step
    page.get_by_role("button", name="减少 朝日超爽黑生啤").click()
    expect(lines.nth(0)).to_contain_text("3份")
    page.get_by_role("button", name="删除 王老吉").click()
    expect(lines).to_have_count(2)
    expect(page.locator("#total")).to_have_text("¥254.00")
    assert [ln["item_code"] for ln in fetch_order(live, demo, order_id)["lines"]] == [
        "BEER01",
        "SOUP01",
    ]

    scan_and_confirm(page, demo["codes"]["cash"][0])
    page.get_by_role("button", name="删除 凉瓜黄豆汤底").click()  # 55.00 left < 100.00 off
    expect(page.locator("#banner")).to_have_text(
        "修改后消费合计55.00元,低于本单已核销票券抵扣的100.00元,请先撤销票券"
    )
    expect(lines).to_have_count(2)
    assert fetch_order(live, demo, order_id)["total_fen"] == 25400
    shot(page, f"lines-refused-{_size(page)}")


def test_scans_sound_and_colour_and_every_control_has_a_label_and_a_visible_focus(
    till: Page,  # noqa: F811
    live: str,
    demo: dict[str, Any],
    shot: Any,
) -> None:
    page = till
    sign_in(page, live, demo["terminal_key"])
    open_bill(page)
    col = page.locator("#scan-col")
    scan(page, demo["codes"]["cash"][0])
    expect(col).to_have_attribute("data-scan", "accepted")
    assert page.evaluate("document.documentElement.dataset.lastBeep") == "accepted"
    green = page.locator("#scan").evaluate("el => getComputedStyle(el).borderTopColor")
    page.keyboard.press("Escape")
    page.keyboard.type("NOSUCHCODE42\n")
    expect(page.locator("#banner")).to_have_text("票券不存在")
    expect(col).to_have_attribute("data-scan", "refused")
    assert page.evaluate("document.documentElement.dataset.lastBeep") == "refused"
    assert page.evaluate("document.documentElement.dataset.beeps") == "2"
    red = page.locator("#scan").evaluate("el => getComputedStyle(el).borderTopColor")
    assert red == "rgb(207, 34, 46)"
    assert green not in (red, "rgb(0, 0, 0)")
    shot(page, f"scan-refused-{_size(page)}")

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, button")]
          .filter((el) => el.type !== "hidden" && el.getClientRects().length)
          .filter((el) => el.tagName === "BUTTON"
            ? !(el.getAttribute("aria-label") || el.textContent.trim())
            : !(el.labels && el.labels.length))
          .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    assert page.locator("#done").get_attribute("aria-live") == "polite"
    assert page.locator("#remaining").get_attribute("aria-live") == "polite"
    assert page.locator("#banner").get_attribute("role") == "alert"

    seen: set[str] = set()
    for _ in range(40):  # Tab through the page to 挂单: every stop shows where it is
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
              return [el.id || el.className || el.tagName, s.outlineStyle, s.outlineWidth]; }"""
        )
        assert focused[1] != "none", focused
        assert focused[2] != "0px", focused
        seen.add(focused[0])
        if focused[0] == "hold":
            break
    assert {"table", "guests", "open-order", "tender", "amount", "do-checkout", "hold"} <= seen
    shot(page, f"keyboard-focus-{_size(page)}")
