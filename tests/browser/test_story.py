"""The whole story in one browser run, as issue [console] tells it: an HQ admin opens a new store
in the console (a till key, a binding to the micro-mall, a template and its listing), a guest buys
the voucher on the micro-mall simulator, the cashier of the new store redeems it on a POS tablet
with the seed's double Enter, reverses it, redeems it again, checks out and opens the receipt,
and the console's code archive and the mall both saw each step exactly once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser._helpers_cashier import counter_ready, read_the_value
from tests.browser._helpers_console import console_login
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.service import deliver_due
from voucherbridge_sims.simkit.server import ServerThread

NEW_STORE = "右姑娘火锅(车公庙店)"
MALL_STORE = "wm-store-3"


def _mall_uses(weimall_server: ServerThread, code: str) -> list[dict[str, Any]]:
    """The mall's own record of each use of the code (its redemptions), oldest first."""
    state = httpx.get(f"{weimall_server.base_url}/_sim/state", timeout=10).json()
    return [r for r in state["redemptions"] if r["code"] == code]


def _archive(page: Page, live: str, code: str) -> None:
    page.goto(f"{live}/console/codes")
    page.fill("input[name=q]", code)
    page.click("form.search button")
    expect(page.locator("#archive")).to_contain_text(code)


def test_from_a_new_store_in_the_console_to_a_receipt_at_its_counter(
    page: Page,
    tablet: Page,
    live: str,
    demo: dict[str, Any],
    container: Container,
    weimall_server: ServerThread,
    shot: Any,
    tmp_path: Path,
) -> None:
    page.goto(f"{live}/console/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("form button[type=submit]")
    expect(page.locator(".field-error")).to_have_text("未登录或密钥无效")
    shot(page, "console-login")

    console_login(page, live, demo["console"]["user"], demo["console"]["password"])
    expect(page.locator("h1")).to_have_text("概览")
    shot(page, "console-overview")

    # --- the HQ admin opens the store, its till, its mall binding, a voucher and its listing
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
    expect(page.locator("[data-key]")).to_have_count(0)  # shown once
    assert key not in page.content()

    page.click("nav >> text=平台绑定")
    form = page.locator("#binding-form")
    form.locator("select[name=store_id]").select_option(label=NEW_STORE)
    form.locator("select[name=platform]").select_option("weimall")
    form.locator("input[name=platform_store_id]").fill(MALL_STORE)
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

    # --- a guest buys it on the micro-mall: the mall pushes the purchase, we issue the code
    bought = httpx.post(
        f"{weimall_server.base_url}/_sim/weimall/purchases",
        json={"store_id": MALL_STORE, "coupon_id": listing_id, "quantity": 1},
        timeout=10,
    )
    assert bought.status_code == 200, bought.text
    assert bought.json()["status"] == "issued", bought.text
    [code] = bought.json()["codes"]

    _archive(page, live, code)
    expect(page.locator("[data-status]")).to_have_text("已发放")
    expect(page.locator("#archive")).to_contain_text("浏览器100元代金券")
    expect(page.locator("#history tr[data-event=issued]")).to_have_count(1)
    shot(page, "console-codes")
    page.fill("input[name=q]", "NO-SUCH-CODE")
    page.click("form.search button")
    expect(page.locator("[data-field=q]")).to_have_text("票券不存在")

    # --- the new store's cashier, on a POS tablet, with the key the console showed once
    till = tablet
    till.goto(f"{live}/cashier/login")
    till.fill("#key", key)
    till.get_by_role("button", name="登录").click()
    expect(till).to_have_url(f"{live}/cashier")
    counter_ready(till)
    expect(till.locator("#terminal-name")).to_contain_text("车公庙前台")
    till.locator("button.item", has_text="凉瓜黄豆汤底").click()
    till.locator("button.item", has_text="朝日超爽黑生啤").click()
    till.keyboard.press("F2")
    expect(till.locator("#due")).to_have_text("¥217.00")
    expect(till.locator("#scan")).to_be_focused()

    till.keyboard.type(code + "\n")
    expect(till.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    expect(till.locator("#prepare-meta")).to_contain_text("微商城")
    read_the_value(till)
    till.keyboard.press("Enter")
    till.keyboard.press("Enter")  # 输入券确认后又多敲回车
    expect(till.locator("#vouchers li")).to_have_count(1)
    expect(till.locator("#banner")).to_be_hidden()
    expect(till.locator("#due")).to_have_text("¥117.00")
    shot(till, "story-redeemed")

    _archive(page, live, code)
    expect(page.locator("[data-status]")).to_have_text("已核销")
    redeemed = page.locator("#history tr[data-event=redeemed]")
    expect(redeemed).to_have_count(1)
    expect(redeemed).to_contain_text(NEW_STORE)
    expect(redeemed).to_contain_text("车公庙前台")

    report = deliver_due(container.uow, container.deliverers(), container.clock)
    assert report.delivered >= 1
    assert len(_mall_uses(weimall_server, code)) == 1  # the mall heard of it once

    # --- the guest changes their mind: reverse inside the window, the code is usable again
    row = till.locator("#vouchers li").first
    expect(row).to_contain_text(re.compile(r"还可撤销 \d+ 分钟"))
    row.get_by_role("button", name=re.compile("撤销")).click()
    till.get_by_role("button", name="确定撤销").click()  # the page asks first
    expect(till.locator("#done")).to_contain_text("券可再次使用")
    expect(till.locator("#due")).to_have_text("¥217.00")
    deliver_due(container.uow, container.deliverers(), container.clock)
    [use] = _mall_uses(weimall_server, code)
    assert use["reversed_at"]  # the mall was told, once
    _archive(page, live, code)
    expect(page.locator("[data-status]")).to_have_text("已发放")
    expect(page.locator("#history tr[data-event=reversed]")).to_have_count(1)

    # --- then they pay with it after all, the rest on a member card, and take the receipt
    till.keyboard.type(code + "\n")
    expect(till.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    read_the_value(till)
    till.keyboard.press("Enter")
    expect(till.locator("#due")).to_have_text("¥117.00")
    till.select_option("#tender", "member_card")
    till.fill("#card-no", "5188001")
    till.fill("#amount", "117")
    till.get_by_role("button", name=re.compile("结账")).click()
    expect(till.locator("#change")).to_contain_text("结账完成")
    till.get_by_role("button", name="预览 80mm").click()
    receipt = till.locator("#receipt")
    expect(receipt).to_contain_text(NEW_STORE)
    expect(receipt).to_contain_text("票券x1: 100.00")
    expect(receipt).to_contain_text("会员卡: 117.00")
    expect(receipt).to_contain_text("谢谢惠顾,欢迎下次光临!")
    shot(till, "story-receipt")
    with till.expect_download() as download_info:
        till.get_by_role("button", name="下载PDF").click()
    saved = tmp_path / "story-receipt.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    deliver_due(container.uow, container.deliverers(), container.clock)
    uses = _mall_uses(weimall_server, code)
    assert [u["reversed_at"] is None for u in uses] == [False, True]  # two uses, one reversed
    _archive(page, live, code)
    expect(page.locator("#history tr[data-event=redeemed]")).to_have_count(2)
    expect(page.locator("[data-status]")).to_have_text("已核销")

    page.click("nav >> text=投递记录")
    expect(page.locator("h1")).to_have_text("投递记录")
    expect(page.locator("[data-count=dead]")).to_be_visible()
    shot(page, "console-outbox")

    page.click("nav button:has-text('退出登录')")
    expect(page).to_have_url(f"{live}/console/login")
    page.goto(f"{live}/console/items")
    expect(page).to_have_url(re.compile(r"/console/login"))
