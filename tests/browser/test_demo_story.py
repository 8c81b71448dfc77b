"""Issue 15 point 6: the whole demo as a person would run it, from `./vb demo`'s own output and
nothing else: a guest buys a voucher on each simulator's page, the cashier redeems all three on
one bill, the platforms' pages show each use arrive, the cashier reverses the micro-mall one and
its page shows that arrive too, and the console's 投递记录 ends with nothing failed or pending.

The demo runs as a subprocess on its own SQLite file (as `./vb demo` does for a newcomer); the
browser fixtures' `live` app is deliberately not used."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser._helpers_cashier import read_the_value, sign_in
from tests.browser._helpers_console import console_login
from tests.demo.running import Demo, demo_ports, start_demo, stop_demo

WAIT_MS = 15_000  # a generous wait for the worker's delivery, far above its usual second
MALL_VOUCHER = "60代100元票券抢购"
DOUYIN_VOUCHER = "抖音团购100元代金券"
MEITUAN_VOUCHER = "美团100元代金券"
SOUP = "凉瓜黄豆汤底"  # ¥199.00: three of them carry three ¥100 vouchers


@dataclass(frozen=True)
class Banner:
    """What the demo prints for a newcomer, read back the way a person would copy it."""

    base: str
    cashier: str
    console: str
    console_user: str
    console_password: str
    terminal_key: str
    sims: dict[str, str]


def read_banner(text: str) -> Banner:
    def one(pattern: str) -> re.Match[str]:
        found = re.search(pattern, text, re.MULTILINE)
        assert found, (pattern, text)
        return found

    console = one(r"商户后台 console:\s+(\S+)\s+用户 (\S+) / 密码 (\S+)")
    cashier = one(r"收银页面 cashier:\s+(\S+)").group(1)
    sims = dict(re.findall(r"^\s+(douyin|meituan|weimall)\s+(\S+) 模拟器已启动", text, re.M))
    assert sorted(sims) == ["douyin", "meituan", "weimall"], text
    return Banner(
        base=cashier.removesuffix("/cashier"),
        cashier=cashier,
        console=console.group(1),
        console_user=console.group(2),
        console_password=console.group(3),
        terminal_key=one(r"收银终端密钥 \([^)]*\):\s+(\S+)").group(1),
        sims=sims,
    )


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[Demo]:
    demo = start_demo(tmp_path, demo_ports())
    try:
        yield demo
    finally:
        stop_demo(demo)


def tab(page: Page) -> Page:
    """Another tab in the same browser, as a person keeps the platform's page open."""
    other = page.context.new_page()
    other.set_default_timeout(WAIT_MS)
    return other


def reload_until(page: Page, check: Callable[[], None], timeout_s: float = 15) -> None:
    """The simulator and console pages are server-rendered: reload until `check` passes, as a
    person presses F5 while the worker delivers."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.reload()
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            page.wait_for_timeout(300)


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(f"^\\s*{re.escape(text)}\\s*$")


def buy(page: Page, title: str) -> str:
    """Buy one of `title` with its 购买 button; the new code, read from the page's message."""
    products = page.locator("h2:has-text('商品') + table")
    row = products.locator("tr").filter(has=page.locator("td", has_text=exactly(title)))
    expect(row).to_have_count(1)
    row.get_by_role("button", name="购买").click()
    message = page.locator(".msg")
    expect(message).to_contain_text("购买 / buy 完成 / done")
    found = re.search(r"券码 / codes (\w+)", message.inner_text())
    assert found, message.inner_text()
    code = found.group(1)
    expect(status_of(page, code)).to_have_text("未使用")
    return code


def status_of(page: Page, code: str) -> Locator:
    """The status the platform's page shows beside `code` in 订单与券码."""
    line = page.locator("ul.codes li").filter(has=page.locator("code", has_text=exactly(code)))
    return line.locator(".status")


def call_row(page: Page, label: str, code: str) -> Locator:
    """The row of 收到的调用 for our call `label` about `code` (shown masked, last four kept)."""
    masked = "*" * (len(code) - 4) + code[-4:]
    calls = page.locator("h2:has-text('收到的调用') + table")
    return calls.locator("tr").filter(has_text=label).filter(has_text=masked)


def sees_arrive(page: Page, code: str, status: str, label: str) -> None:
    def arrived() -> None:
        expect(status_of(page, code)).to_have_text(status, timeout=1_000)
        expect(call_row(page, label, code).first).to_contain_text("成功 / ok", timeout=1_000)

    reload_until(page, arrived)
    failed = page.locator("h2:has-text('收到的调用') + table td.bad")  # shown in red
    expect(failed).to_have_count(0)


def scan_and_confirm(counter: Page, code: str, platform: str) -> None:
    counter.keyboard.type(code)
    counter.keyboard.press("Enter")
    expect(counter.locator("#prepare")).to_be_visible()
    expect(counter.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    expect(counter.locator("#prepare-meta")).to_contain_text(platform)
    read_the_value(counter)
    counter.keyboard.press("Enter")
    expect(counter.locator("#done")).to_contain_text("核销成功")
    expect(counter.locator("#done")).to_contain_text("抵扣 ¥100.00")
    expect(counter.locator("#vouchers li").filter(has_text=code)).to_have_count(1)
    expect(counter.locator("body.busy")).to_have_count(0)  # the counter takes the next scan


def tile(page: Page, label: str) -> Locator:
    return page.locator("ul.tiles li").filter(has_text=label)


def test_a_newcomer_buys_on_each_platform_redeems_reverses_and_every_sync_arrives(
    page: Page, running_demo: Demo, shot: Any
) -> None:
    banner = read_banner(running_demo.output())
    assert banner.console == f"{banner.base}/console"
    page.set_default_timeout(WAIT_MS)

    # --- a guest buys on each platform's own page
    mall = tab(page)
    mall.goto(banner.sims["weimall"] + "/")
    expect(mall.locator("h1")).to_contain_text("微商城模拟器")
    mall_code = buy(mall, MALL_VOUCHER)
    assert mall_code.startswith("J"), mall_code
    douyin = tab(page)
    douyin.goto(banner.sims["douyin"] + "/")
    douyin_code = buy(douyin, DOUYIN_VOUCHER)
    meituan = tab(page)
    meituan.goto(banner.sims["meituan"] + "/")
    meituan_code = buy(meituan, MEITUAN_VOUCHER)
    shot(mall, "demo-story-mall-bought")

    # --- the cashier rings up three soup bases and takes the three vouchers
    counter = page
    counter.bring_to_front()
    sign_in(counter, banner.base, banner.terminal_key)
    soup = counter.locator("button.item").filter(has_text=SOUP)
    for _ in range(3):
        soup.click()
    expect(counter.locator("#draft")).to_have_text(f"{SOUP} × 3条")  # the catalogue unit
    counter.get_by_role("button", name="新开单").click()
    expect(counter.locator("#order")).to_be_visible()
    expect(counter.locator("#total")).to_have_text("¥597.00")
    expect(counter.locator("#scan")).to_be_focused()
    scan_and_confirm(counter, mall_code, "微商城")
    expect(counter.locator("#due")).to_have_text("¥497.00")
    scan_and_confirm(counter, douyin_code, "抖音")
    scan_and_confirm(counter, meituan_code, "美团")
    expect(counter.locator("#discount")).to_have_text("¥300.00")
    expect(counter.locator("#due")).to_have_text("¥297.00")
    shot(counter, "demo-story-counter-redeemed")

    # --- each platform's page shows the use arrive
    mall.bring_to_front()
    sees_arrive(mall, mall_code, "已核销", "核销同步")
    douyin.bring_to_front()
    sees_arrive(douyin, douyin_code, "已核销", "验券 verify")
    meituan.bring_to_front()
    sees_arrive(meituan, meituan_code, "已核销", "验券 consume")

    # --- the cashier reverses the micro-mall voucher; the mall's page shows that arrive
    counter.bring_to_front()
    row = counter.locator("#vouchers li").filter(has_text=mall_code)
    row.get_by_role("button", name=re.compile("撤销")).click()
    counter.get_by_role("button", name="确定撤销").click()  # the page asks first
    expect(counter.locator("#done")).to_contain_text("券可再次使用")
    expect(counter.locator("#vouchers li")).to_have_count(2)
    expect(counter.locator("#due")).to_have_text("¥397.00")
    mall.bring_to_front()
    sees_arrive(mall, mall_code, "已撤销", "撤销同步")
    shot(mall, "demo-story-mall-reversed")

    # --- the console: nothing failed, nothing waiting
    console = tab(page)
    console_login(
        console, banner.base, banner.console_user, banner.console_password, "/console/outbox"
    )
    expect(console.locator("h1")).to_have_text("投递记录")

    def settled() -> None:
        for label in ("投递失败", "待投递", "投递中"):
            expect(tile(console, label)).to_have_text(f"0 {label}", timeout=1_000)
        delivered = tile(console, "已投递").locator("strong").inner_text()
        assert int(delivered) >= 2, delivered  # the mall's use and its reversal at least

    reload_until(console, settled)
    shot(console, "demo-story-outbox")
