"""The merchant console in Chromium: an HQ admin's day (stores, items, a terminal key, a
binding to the micro-mall, a template and its listing, a code bought on the mall and found in
the archive, the outbox), a store manager kept to their own store, the English switch, and the
layout at 1280x800 and on an 800x1280 POS tablet. Screenshots go under the pytest temp dir."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from voucherbridge.adapters.platforms.simkit.server import ServerThread

NEW_STORE = "右姑娘火锅(车公庙店)"


def _login(page: Page, live: str, user: str, password: str, path: str = "/console") -> None:
    page.goto(f"{live}{path}")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{live}{path}")


def test_an_hq_admin_sets_up_a_voucher_and_finds_a_bought_code_in_the_archive(
    page: Page, live: str, demo: dict[str, Any], weimall_server: ServerThread, shot: Any
) -> None:
    page.goto(f"{live}/console/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("form button[type=submit]")
    expect(page.locator(".field-error")).to_have_text("未登录或密钥无效")
    shot(page, "console-login")

    _login(page, live, demo["console"]["user"], demo["console"]["password"])
    expect(page.locator("h1")).to_have_text("概览")
    shot(page, "console-overview")

    page.click("nav >> text=门店")
    expect(page.locator("table")).to_contain_text("皇岗店")
    page.fill("#store-form input[name=name]", NEW_STORE)
    page.click("#store-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(NEW_STORE)
    page.goto(f"{live}/console/stores")
    shot(page, "console-stores")

    page.click("nav >> text=菜品资料")
    expect(page.locator("table")).to_contain_text("凉瓜黄豆汤底")
    expect(page.locator("table")).to_contain_text("199.00")
    shot(page, "console-items")

    page.click("nav >> text=收银终端")
    page.select_option("#terminal-form select[name=store_id]", label=NEW_STORE)
    page.fill("#terminal-form input[name=name]", "车公庙前台")
    page.click("#terminal-form button[type=submit]")
    key = page.locator("[data-key]").inner_text()
    assert key.startswith("vbt_")
    shot(page, "console-terminals")
    page.reload()
    expect(page.locator("table")).to_contain_text("车公庙前台")
    expect(page.locator("[data-key]")).to_have_count(0)
    assert key not in page.content()

    page.click("nav >> text=平台绑定")
    form = page.locator("#binding-form")
    form.locator("select[name=store_id]").select_option(label=NEW_STORE)
    form.locator("select[name=platform]").select_option("weimall")
    form.locator("input[name=platform_store_id]").fill("wm-store-3")
    form.locator("input[name=secret]").fill("not-the-secret")
    form.locator("button[type=submit]").click()
    expect(page.locator("#binding-form .field-error")).to_have_text(
        "微商城绑定失败:门店 id 或密钥错误"
    )
    cell = page.locator(f"#binding-grid tr:has-text('{NEW_STORE}') td[data-platform=weimall]")
    expect(cell).not_to_contain_text("已绑定")
    form.locator("input[name=secret]").fill("wm-secret-1")
    form.locator("button[type=submit]").click()
    expect(cell.locator(".label")).to_have_text("已绑定")
    shot(page, "console-bindings")

    page.click("nav >> text=券模板")
    page.click("text=新建券模板")
    page.fill("input[name=name]", "浏览器100元代金券")
    page.select_option("select[name=kind]", "cash")
    page.fill("input[name=face_value]", "abc")
    page.fill("input[name=price]", "60")
    page.fill("input[name=valid_days]", "90")
    page.click("#template-form button[type=submit]")
    expect(page.locator("[data-field=face_value_fen]")).to_have_text("请求内容有误: 面值(元)")
    shot(page, "console-template-form")
    page.fill("input[name=face_value]", "100.00")
    page.click("#template-form button[type=submit]")
    expect(page.locator("table")).to_contain_text("浏览器100元代金券")
    expect(page.locator("tr:has-text('浏览器100元代金券')")).to_contain_text("100.00")
    shot(page, "console-templates")

    page.click("nav >> text=票券关联")
    page.select_option("#listing-form select[name=template_id]", label="浏览器100元代金券")
    page.select_option("#listing-form select[name=platform]", "weimall")
    page.fill("#listing-form input[name=title]", "60代100元(浏览器)")
    page.click("#listing-form button[type=submit]")
    row = page.locator("tr.just-created")
    expect(row).to_contain_text("60代100元(浏览器)")
    listing_id = row.locator("code.public-id").inner_text()
    assert re.fullmatch(r"[1-9]\d{15}", listing_id)
    expect(row.locator("button.copy")).to_have_attribute("data-copy", listing_id)
    row.locator("button.copy").click()
    expect(row.locator("button.copy")).to_have_text("已复制")
    shot(page, "console-listings")

    bought = httpx.post(
        f"{weimall_server.base_url}/_sim/weimall/purchases",
        json={"store_id": "wm-store-1", "coupon_id": listing_id, "quantity": 1},
        timeout=10,
    )
    assert bought.status_code == 200, bought.text
    assert bought.json()["status"] == "issued", bought.text
    [code] = bought.json()["codes"]

    page.click("nav >> text=票券档案")
    page.fill("input[name=q]", code)
    page.click("form.search button")
    expect(page.locator("#archive")).to_contain_text(code)
    expect(page.locator("[data-status]")).to_have_text("已发放")
    expect(page.locator("#archive")).to_contain_text("浏览器100元代金券")
    expect(page.locator("#history tr[data-event=issued]")).to_have_count(1)
    shot(page, "console-codes")

    page.fill("input[name=q]", "NO-SUCH-CODE")
    page.click("form.search button")
    expect(page.locator("[data-field=q]")).to_have_text("票券不存在")

    page.click("nav >> text=投递记录")
    expect(page.locator("h1")).to_have_text("投递记录")
    expect(page.locator("[data-count=dead]")).to_be_visible()
    shot(page, "console-outbox")

    page.click("nav button:has-text('退出登录')")
    expect(page).to_have_url(f"{live}/console/login")
    page.goto(f"{live}/console/items")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_a_store_manager_sees_only_their_store_and_is_refused_another(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    manager = demo["store_manager"]
    _login(page, live, manager["user"], manager["password"], "/console/stores")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(manager["store"])
    expect(page.locator("nav")).not_to_contain_text("投递记录")

    response = page.goto(f"{live}/console/stores/2")
    assert response is not None
    assert response.status == 403
    expect(page.locator(".error-message")).to_have_text("没有权限执行此操作")
    shot(page, "console-forbidden")
    response = page.goto(f"{live}/console/stores/1")
    assert response is not None
    assert response.status == 200
    response = page.goto(f"{live}/console/outbox")
    assert response is not None
    assert response.status == 403


def test_the_english_switch_turns_the_console_english_and_sticks(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    _login(page, live, "admin", "admin123")
    page.click("text=English")
    expect(page.locator("h1")).to_have_text("Overview")
    page.click("nav >> text=Item catalogue")
    expect(page.locator("h1")).to_have_text("Item catalogue")
    expect(page.locator("nav")).to_contain_text("Platform bindings")
    page.click("nav >> text=Listings")
    expect(page.locator("th").first).to_contain_text("Listing id")
    shot(page, "console-listings-en")
    page.click("text=中文")
    expect(page.locator("h1")).to_have_text("票券关联")


def test_the_console_fits_a_pos_tablet_in_portrait(
    tablet: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    _login(tablet, live, "admin", "admin123")
    nav = tablet.locator("nav.console-nav").bounding_box()
    main = tablet.locator("main").bounding_box()
    assert nav
    assert main
    assert nav["y"] + nav["height"] <= main["y"] + 1
    shot(tablet, "console-tablet-overview")

    tablet.goto(f"{live}/console/listings")
    page_width = tablet.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 800  # the page itself never scrolls sideways...
    wrap = tablet.locator(".table-wrap").first
    assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"  # ...its table may
    shot(tablet, "console-tablet-listings")
