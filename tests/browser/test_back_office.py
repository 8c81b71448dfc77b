"""The back office in Chromium at 1366x768: the dashboard after a day at the counter (codes
redeemed through the Terminal API on a real port), its charts drawn under the page's CSP, the
report's CSV download, the audit log and the staff page. Screenshots go under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_console import console_login
from tests.browser._pages import fresh_page
from tests.helpers import SEED_ORDER, must_redeem, open_order, terminal_headers

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def logged() -> list[str]:
    """What the page logged: console messages (CSP refusals land here) and page errors."""
    return []


@pytest.fixture
def laptop(browser: Browser, logged: list[str]) -> Iterator[Page]:
    """A fresh 1366x768 browser (Chinese) that accepts downloads, its console log kept."""
    for page in fresh_page(browser, LAPTOP, accept_downloads=True):
        page.on("console", lambda message: logged.append(message.text))
        page.on("pageerror", lambda error: logged.append(str(error)))
        yield page


def _redeem_at(live: str, key: str, code: str) -> dict[str, Any]:
    with httpx.Client(base_url=live, timeout=10) as http:
        headers = terminal_headers(key)
        order = open_order(http, headers, **SEED_ORDER)
        return must_redeem(http, headers, code, order["id"])


def _no_policy_violation(logged: list[str]) -> None:
    assert not [m for m in logged if "Content Security Policy" in m or "Refused" in m], logged


def test_the_dashboard_after_a_day_at_the_counter(
    laptop: Page, logged: list[str], live: str, demo: dict[str, Any], tmp_path: Path, shot: Any
) -> None:
    keys, codes = demo["terminal_keys"], demo["codes"]["cash"]
    for code in codes[:3]:
        _redeem_at(live, keys["皇岗店"], code)
    _redeem_at(live, keys["福田店"], codes[3])

    console_login(laptop, live, demo["console"]["user"], demo["console"]["password"])
    today = laptop.locator('[data-window="0"]')
    expect(today.locator("h2")).to_have_text("今天")
    expect(today.locator("li").nth(1)).to_have_text("已核销 4")
    expect(today.locator("li").nth(3)).to_have_text("抵扣金额 ¥400.00")
    expect(laptop.locator("#by-store-0 tbody")).to_contain_text("皇岗店")

    bars = laptop.locator("#store-chart svg.vb-chart g.bar")
    expect(bars).to_have_count(2)
    for chart in ("#store-chart svg.vb-chart", "#daily-chart svg.vb-chart"):
        box = laptop.locator(chart).bounding_box()
        assert box is not None, chart
        assert box["width"] > 300, box
        assert box["height"] > 100, box
    # /console/charts.css reached the SVG: the bars are painted in the console's red
    fill = bars.first.locator("rect").evaluate("r => getComputedStyle(r).fill")
    assert fill == "rgb(192, 57, 43)", fill
    expect(laptop.locator("#store-chart")).to_contain_text("皇岗店")
    expect(laptop.locator("#daily-chart g.dots")).to_have_count(30)
    laptop.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    shot(laptop, "back-office-dashboard")
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000

    laptop.click("nav >> text=核销报表")
    expect(laptop.locator("h1")).to_have_text("核销报表")
    expect(laptop.locator("#report-chart svg.vb-chart g.bar")).to_have_count(2)
    with laptop.expect_download() as download:
        laptop.click("text=导出 CSV")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "门店,核销,撤销,净核销,净抵扣金额"
    assert "皇岗店,3,0,3,300.00" in text
    shot(laptop, "back-office-redemptions")
    _no_policy_violation(logged)


def test_the_audit_log_and_the_staff_page(
    laptop: Page, logged: list[str], live: str, demo: dict[str, Any], shot: Any
) -> None:
    _redeem_at(live, demo["terminal_keys"]["皇岗店"], demo["codes"]["cash"][0])
    console_login(laptop, live, demo["console"]["user"], demo["console"]["password"])
    laptop.click("nav >> text=操作日志")
    expect(laptop.locator("h1")).to_have_text("操作日志")
    use = laptop.locator('#audit-table tr[data-action="redemption.redeem"]').first
    expect(use).to_contain_text("(收银终端)")
    expect(use).to_contain_text("皇岗店")
    shot(laptop, "back-office-audit")

    laptop.click("nav >> text=员工")
    expect(laptop.locator("h1")).to_have_text("员工")
    expect(laptop.locator('tr[data-user="huanggang"]')).to_contain_text("门店店长")
    laptop.fill("#staff-form input[name=username]", "xiaoli")
    laptop.fill("#staff-form input[name=display_name]", "小李")
    laptop.fill("#staff-form input[name=password]", "Pomelo-Lantern-2032")
    laptop.select_option("#staff-form select[name=role]", "cashier")
    laptop.check("#staff-form input[name=store_ids] >> nth=0")
    laptop.click("#staff-form button[type=submit]")
    row = laptop.locator('tr[data-user="xiaoli"]')
    expect(row).to_contain_text("使用中")
    row.locator("button", has_text="停用").click()
    expect(laptop.locator('tr[data-user="xiaoli"]')).to_contain_text("已停用")
    shot(laptop, "back-office-staff")
    _no_policy_violation(logged)


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/console/reports/sales?days=30&group_by=platform,listing", "供货订单"),
        ("/console/reports/redemptions?days=30&group_by=day", "核销报表"),
        ("/console/codes?status=redeemed", "票券档案"),
        ("/console/orders", "消费单"),
        ("/console/redemptions", "核销记录"),
        ("/console/audit", "操作日志"),
        ("/console/staff", "员工"),
    ],
)
def test_each_back_office_page_keeps_to_its_policy(
    laptop: Page, logged: list[str], live: str, demo: dict[str, Any], path: str, title: str
) -> None:
    _redeem_at(live, demo["terminal_keys"]["皇岗店"], demo["codes"]["cash"][0])
    console_login(laptop, live, demo["console"]["user"], demo["console"]["password"], path)
    expect(laptop.locator("h1")).to_have_text(title)
    expect(laptop.locator("nav.console-nav a[aria-current=page]")).to_have_text(title)
    if "group_by=day" in path:
        box = laptop.locator("#report-chart svg.vb-chart").bounding_box()
        assert box is not None
        assert box["height"] > 100
    if path.startswith("/console/codes"):
        laptop.click("#codes-table a")  # a code leads to its history
        expect(laptop.locator("#history tr[data-event=redeemed]")).to_contain_text("核销")
    _no_policy_violation(logged)
