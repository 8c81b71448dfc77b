"""The console and the cashier page still work under their Content-Security-Policy: every
page of the console, a form, a copy button, the counter's scan and redeem, and not one
violation reported by Chromium (the console log or a `securitypolicyviolation` event)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers_cashier import open_order, read_the_value, sign_in
from tests.browser._helpers_console import console_login

# Every violation the page sees, as the page itself is told of it (beside the console log).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
CONSOLE_PAGES = (
    "/console",
    "/console/stores",
    "/console/stores/1",
    "/console/items",
    "/console/terminals",
    "/console/bindings",
    "/console/templates",
    "/console/templates/new",
    "/console/listings",
    "/console/codes",
    "/console/outbox",
    "/console/alerts",
)


@pytest.fixture
def watched(page: Page) -> tuple[Page, list[str]]:
    """The page, and every console message and page error it logs."""
    logged: list[str] = []
    page.on("console", lambda message: logged.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: logged.append(f"pageerror: {error}"))
    page.add_init_script(WATCH)
    return page, logged


def _violations(page: Page, logged: list[str]) -> list[str]:
    events: list[str] = page.evaluate("window.__violations || []")
    return events + [line for line in logged if "Content Security Policy" in line]


def test_the_console_works_with_its_policy_and_reports_no_violation(
    watched: tuple[Page, list[str]], live: str, demo: dict[str, Any]
) -> None:
    page, logged = watched
    console = demo["console"]
    console_login(page, live, console["user"], console["password"])
    for path in CONSOLE_PAGES:
        response = page.goto(f"{live}{path}")
        assert response is not None
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # our stylesheet applied: the console's navigation is laid out by console.css
        expect(page.locator("nav.console-nav")).to_be_visible()
        assert _violations(page, logged) == [], path

    page.goto(f"{live}/console/items")
    page.fill("#item-form input[name=item_code]", "CSP01")
    page.fill("#item-form input[name=name]", "酸梅汤")
    page.fill("#item-form input[name=unit_price]", "8.00")
    page.click("#item-form button[type=submit]")
    expect(page.locator("table")).to_contain_text("酸梅汤")

    page.goto(f"{live}/console/listings")
    copy = page.locator("button.copy").first
    copy.click()
    expect(copy).to_have_text("已复制")  # console.js ran and answered the click
    assert _violations(page, logged) == []


def test_the_cashier_page_works_with_its_policy_and_reports_no_violation(
    watched: tuple[Page, list[str]], live: str, demo: dict[str, Any]
) -> None:
    page, logged = watched
    sign_in(page, live, demo["terminal_key"])  # cashier.js wired its keys (data-ready)
    open_order(page)
    page.keyboard.type(demo["codes"]["cash"][0] + "\n")
    expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
    read_the_value(page)
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(1)
    assert _violations(page, logged) == []


def test_an_injected_inline_script_is_blocked_and_seen(
    watched: tuple[Page, list[str]], live: str, demo: dict[str, Any]
) -> None:
    """The control: the policy is enforced, and a violation would not go unnoticed above."""
    page, logged = watched
    page.goto(f"{live}/cashier/login")
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__injected = true";
          document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in _violations(page, logged))
