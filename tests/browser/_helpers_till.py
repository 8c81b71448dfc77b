"""Helpers for the shift tests of the cashier page (issue 18): a till at both screen sizes,
scanning and confirming, answering the page's questions, reading open bills back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_cashier import counter_ready, read_the_value
from tests.browser._pages import fresh_page
from tests.helpers import terminal_headers

# A 1024x768 counter PC and a 10-inch POS tablet in portrait.
SIZES = {
    "desktop-1024": {"width": 1024, "height": 768},
    "tablet-800": {"width": 800, "height": 1280},
}


def till_page(browser: Browser, size: str) -> Iterator[Page]:
    yield from fresh_page(browser, SIZES[size])


@pytest.fixture(params=sorted(SIZES))
def till(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A fresh browser at each of the two counter sizes (the test runs once per size)."""
    request.node.size = request.param
    yield from till_page(browser, request.param)


def scan(page: Page, code: str) -> None:
    """Scan a code and wait for its value to show (nothing confirmed yet)."""
    page.keyboard.type(code + "\n")
    expect(page.locator("#prepare")).to_be_visible()


def scan_and_confirm(page: Page, code: str) -> None:
    before = page.locator("#vouchers li").count()
    scan(page, code)
    read_the_value(page)
    page.keyboard.press("Enter")
    expect(page.locator("#vouchers li")).to_have_count(before + 1)


def answer(page: Page, says: str | re.Pattern[str], yes: bool) -> None:
    """The page asked first: check what it says, then answer 确定 (Enter) or 取消 (Esc)."""
    ask = page.locator("#ask")
    expect(ask).to_be_visible()
    expect(ask.locator("#ask-text")).to_have_text(says)
    expect(page.locator("#ask-yes")).to_be_focused()
    page.keyboard.press("Enter" if yes else "Escape")
    expect(ask).to_be_hidden()


def open_bill(page: Page, table: str = "", guests: str = "") -> int:
    """Open the demo bill (its table and guests replaced when given) with F2."""
    counter_ready(page)
    before = page.evaluate("sessionStorage.getItem('vb_cashier_order')")
    page.fill("#table", table)
    page.fill("#guests", guests)
    page.locator("#scan").focus()
    page.keyboard.press("F2")
    expect(page.locator("#order")).to_be_visible()
    page.wait_for_function(
        "before => sessionStorage.getItem('vb_cashier_order') !== before", arg=before
    )
    return int(page.evaluate("sessionStorage.getItem('vb_cashier_order')"))


def open_bills(live: str, demo: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{live}/api/v1/orders",
        params={"status": "open"},
        headers=terminal_headers(demo["terminal_key"]),
    )
    assert response.status_code == 200, response.text
    return list(response.json())
