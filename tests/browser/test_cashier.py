"""The cashier page at a busy counter: scan, see what the code is worth, confirm once however
many times Enter is pressed, reverse, check out, print; keyboard only; English; POS tablet."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser._helpers_cashier import (
    ADMIN,
    admin_headers,
    applied,
    fetch_order,
    open_order,
    read_the_value,
    sign_in,
)
from tests.helpers import demo_listing
from voucherbridge_sims.simkit.server import ServerThread


def test_double_enter_redeems_once_then_reverse_checkout_and_receipt(
    page: Page, live: str, demo: dict[str, Any], shot: Any, tmp_path: Path
) -> None:
    page.goto(f"{live}/cashier/login")
    shot(page, "cashier-login")
    sign_in(page, live, demo["terminal_key"])
    order_id = open_order(page)
    shot(page, "cashier-order")

    code = demo["codes"]["cash"][0]
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    prepare = page.locator("#prepare")
    expect(prepare).to_be_visible()
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    expect(prepare).to_contain_text("100元代金券")
    assert applied(fetch_order(live, demo, order_id)) == []  # prepare changes nothing
    shot(page, "cashier-prepared")

    read_the_value(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_contain_text("100元代金券")
    expect(page.locator("#vouchers li")).to_have_count(1)
    page.keyboard.press("Enter")  # one more, long after: still nothing happens
    expect(page.locator("#banner")).to_be_hidden()
    [redeemed] = applied(fetch_order(live, demo, order_id))
    assert redeemed["code"] == code
    expect(page.locator("#due")).to_have_text("¥184.00")
    shot(page, "cashier-redeemed")

    page.keyboard.type("NOSUCHCODE42\n")
    banner = page.locator("#banner")
    expect(banner).to_have_text("票券不存在")
    font_px = float(banner.evaluate("el => getComputedStyle(el).fontSize").removesuffix("px"))
    assert font_px >= 24  # large and plain, readable from a step away
    shot(page, "cashier-error")
    page.keyboard.press("Escape")
    expect(banner).to_be_hidden()

    row = page.locator("#vouchers li").first
    expect(row).to_contain_text(re.compile(r"还可撤销 \d+ 分钟"))
    row.get_by_role("button", name=re.compile("撤销")).click()
    expect(page.locator("#ask")).to_contain_text("撤销「100元代金券」的核销")  # asks first
    page.get_by_role("button", name="确定撤销").click()
    expect(page.locator("#done")).to_contain_text("券可再次使用")
    expect(page.locator("#vouchers li")).to_have_count(0)
    expect(page.locator("#due")).to_have_text("¥284.00")
    assert applied(fetch_order(live, demo, order_id)) == []
    shot(page, "cashier-reversed")

    page.keyboard.type(code + "\n")  # usable again
    expect(page.locator("#prepare")).to_be_visible()
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    read_the_value(page)
    page.keyboard.press("Enter")
    expect(page.locator("#due")).to_have_text("¥184.00")
    assert len(applied(fetch_order(live, demo, order_id))) == 1

    page.fill("#amount", "2OO")  # letter O for zero: refused, never guessed at
    page.get_by_role("button", name=re.compile("结账")).click()
    expect(page.locator("#banner")).to_have_text("金额格式有误,请输入如 184.00")
    assert fetch_order(live, demo, order_id)["status"] == "open"
    page.fill("#amount", "２００.0")  # a full-width IME is fine
    page.get_by_role("button", name=re.compile("结账")).click()
    expect(page.locator("#change")).to_contain_text("找零 ¥16.00")
    assert fetch_order(live, demo, order_id)["status"] == "closed"
    shot(page, "cashier-checked-out")

    receipt = page.locator("#receipt")
    page.get_by_role("button", name="预览 58mm").click()
    expect(receipt).to_contain_text("右姑娘火锅")
    expect(receipt).to_contain_text("票券")
    narrow = receipt.inner_text()
    shot(page, "cashier-receipt-58")
    page.get_by_role("button", name="预览 80mm").click()
    expect(receipt).not_to_have_text(narrow)
    shot(page, "cashier-receipt-80")
    widest = max(len(line) for line in receipt.inner_text().splitlines())
    assert widest > max(len(line) for line in narrow.splitlines())

    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载PDF").click()
    saved = tmp_path / "receipt.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.get_by_role("button", name="反结账").click()  # 反结账 gives the voucher back
    expect(page.locator("#ask")).to_contain_text("1 张票券全部撤销退回")  # once confirmed
    page.get_by_role("button", name="确定反结账").click()
    expect(page.locator("#done")).to_contain_text("票券已退回")
    expect(page.locator("#due")).to_have_text("¥284.00")
    reopened = fetch_order(live, demo, order_id)
    assert reopened["status"] == "open"
    assert applied(reopened) == []


def test_a_code_bought_on_the_micromall_redeems_at_the_counter(
    page: Page, live: str, demo: dict[str, Any], weimall_server: ServerThread, shot: Any
) -> None:
    admin = admin_headers(live, demo)
    with httpx.Client(base_url=live) as api:
        store_id = next(s["id"] for s in api.get(f"{ADMIN}/stores", headers=admin).json())
        bound = api.post(
            f"{ADMIN}/bindings",
            headers=admin,
            json={
                "store_id": store_id,
                "platform": "weimall",
                "platform_store_id": "wm-store-1",
                "secret": "wm-secret-1",
            },
        )
        assert bound.status_code in (200, 201), bound.text
        listing = demo_listing(api, admin, "weimall")
    bought = httpx.post(
        f"{weimall_server.base_url}/_sim/weimall/purchases",
        json={"store_id": "wm-store-1", "coupon_id": listing["public_id"], "quantity": 1},
    )
    assert bought.status_code == 200, bought.text
    [code] = bought.json()["codes"]

    sign_in(page, live, demo["terminal_key"])
    order_id = open_order(page)
    page.keyboard.type(code + "\n")
    expect(page.locator("#prepare")).to_be_visible()
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    expect(page.locator("#prepare-meta")).to_contain_text("微商城")
    read_the_value(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(1)
    expect(page.locator("#banner")).to_be_hidden()
    [redeemed] = applied(fetch_order(live, demo, order_id))
    assert redeemed["code"] == code
    shot(page, "cashier-micromall")


def test_keyboard_only_scanner_redeem_checkout_and_print(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    page.goto(f"{live}/cashier/login")
    expect(page.locator("#key")).to_be_focused()  # the key box has the focus on arrival
    page.keyboard.type(demo["terminal_key"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live}/cashier")
    order_id = open_order(page)

    code = demo["codes"]["combo"][0]
    page.keyboard.type(code + "\n\n")  # a scanner with its extra Enter: look up, no more
    expect(page.locator("#prepare")).to_be_visible()
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥283.00")
    assert applied(fetch_order(live, demo, order_id)) == []
    read_the_value(page)
    page.keyboard.type("\n\n")  # the cashier's confirm, twice
    expect(page.locator("#vouchers li")).to_have_count(1)
    expect(page.locator("#banner")).to_be_hidden()
    assert len(applied(fetch_order(live, demo, order_id))) == 1
    expect(page.locator("#due")).to_have_text("¥1.00")  # the seed's service fee is left

    page.keyboard.press("F4")  # reverse the last voucher, once Enter confirms it
    expect(page.locator("#ask")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(0)
    page.keyboard.type(code + "\n")
    expect(page.locator("#prepare")).to_be_visible()
    read_the_value(page)
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(1)
    expect(page.locator("#due")).to_have_text("¥1.00")

    page.keyboard.press("F8")  # the amount box holds what is due: pay it in cash
    expect(page.locator("#change")).to_contain_text("结账完成")
    assert fetch_order(live, demo, order_id)["status"] == "closed"
    page.keyboard.press("F9")
    expect(page.locator("#receipt")).to_contain_text("第1次打印")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "scan"  # back on the scan box, ready for the next guest
    shot(page, "cashier-keyboard")


def test_english_switch_turns_the_counter_english(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    sign_in(page, live, demo["terminal_key"])
    page.goto(f"{live}/cashier?lang=en")
    expect(page.locator("label[for=scan]")).to_have_text("Scan or type a voucher code, then Enter")
    expect(page.locator("#open-order")).to_contain_text("New order")
    open_order(page)
    page.keyboard.type("NOSUCHCODE42\n")
    expect(page.locator("#banner")).to_have_text("Voucher not found")
    shot(page, "cashier-english")


def test_pos_tablet_stacks_the_page_with_the_scan_box_on_screen(
    tablet: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    sign_in(tablet, live, demo["terminal_key"])
    open_order(tablet)
    scan = tablet.locator("#scan").bounding_box()
    order = tablet.locator(".order-col").bounding_box()
    assert scan is not None
    assert order is not None
    assert scan["y"] + scan["height"] <= 1280
    assert order["y"] > scan["y"] + scan["height"]  # stacked, not side by side
    assert scan["width"] > 600
    # A scanner typing through a Chinese IME in full-width mode, with stray spaces.
    code = demo["codes"]["cash"][0]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    tablet.fill("#scan", f" {full_width}\u3000")
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#prepare")).to_be_visible()
    expect(tablet.locator("#prepare-meta")).to_contain_text(code)
    shot(tablet, "cashier-tablet")


def test_a_cashier_signs_in_with_their_account_and_gets_their_own_till(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    admin = admin_headers(live, demo)
    with httpx.Client(base_url=live) as api:
        store_id = next(s["id"] for s in api.get(f"{ADMIN}/stores", headers=admin).json())
        created = api.post(
            f"{ADMIN}/users",
            headers=admin,
            json={
                "username": "xiaoli",
                "password": "cashier-pass-1",
                "role": "cashier",
                "store_ids": [store_id],
            },
        )
        assert created.status_code == 201, created.text

    page.goto(f"{live}/cashier/login")
    page.fill("#username", "xiaoli")
    page.fill("#password", "wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#banner")).to_have_text("未登录或密钥无效")
    shot(page, "cashier-login-error")
    page.fill("#password", "cashier-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live}/cashier")
    expect(page.locator("#terminal-name")).to_have_text("网页收银台 · xiaoli")
    assert "vb_cashier" not in page.evaluate("document.cookie")  # HttpOnly: no script sees it


def test_a_slow_scanners_extra_enter_just_after_the_value_shows_confirms_nothing(
    page: Page, live: str, demo: dict[str, Any]
) -> None:
    sign_in(page, live, demo["terminal_key"])
    order_id = open_order(page)
    # A slow network: the value appears 300 ms after the scan, past the scanner-burst window,
    # and an extra Enter lands 30 ms later. Nobody has read the value yet: it confirms nothing.
    page.evaluate(
        """() => {
          const box = document.getElementById("prepare");
          new MutationObserver((_, watcher) => {
            if (box.hidden) return;
            watcher.disconnect();
            setTimeout(() => document.getElementById("scan").dispatchEvent(
              new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true })
            ), 30);
          }).observe(box, { attributes: true });
        }"""
    )
    slow = "**/api/v1/vouchers/prepare"  # the answer comes after the scanner's burst window
    page.route(slow, lambda route: (time.sleep(0.3), route.continue_()))
    page.keyboard.type(demo["codes"]["cash"][0])
    page.keyboard.press("Enter")
    expect(page.locator("#prepare")).to_be_visible()
    page.unroute(slow)
    page.wait_for_timeout(500)  # time enough for a redemption, had one been asked
    assert applied(fetch_order(live, demo, order_id)) == []
    expect(page.locator("#vouchers li")).to_have_count(0)
    page.keyboard.press("Enter")  # the cashier, having read it
    expect(page.locator("#vouchers li")).to_have_count(1)
