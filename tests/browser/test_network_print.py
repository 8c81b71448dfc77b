"""打印小票 at the counter (issue 18, point 7) in Chromium at 1024x768: the receipt goes to the
till's network printer (a listener on 127.0.0.1 that keeps the bytes) and the cashier reads
which printer took it; with the printer off, the page says so in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_cashier import (
    fetch_order,
    open_order,
    read_the_value,
    set_till_printer,
    sign_in,
)
from tests.browser._pages import fresh_page
from tests.counter._printer import closed_port, printer_listener

DESK = {"width": 1024, "height": 768}


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    yield from fresh_page(browser, DESK)


def test_print_receipt_button_sends_to_the_network_printer(
    desk: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    page = desk
    with printer_listener() as printer:
        set_till_printer(live, demo, printer.port)
        sign_in(page, live, demo["terminal_key"])
        order_id = open_order(page)
        page.keyboard.type(demo["codes"]["cash"][0] + "\n")
        expect(page.locator("#prepare-value")).to_have_text("抵扣 ¥100.00")
        read_the_value(page)
        page.keyboard.press("Enter")
        expect(page.locator("#due")).to_have_text("¥184.00")
        page.get_by_role("button", name="结账").click()
        expect(page.locator("#change")).to_contain_text("结账完成")

        button = page.get_by_role("button", name="打印小票")
        expect(button).to_be_visible()
        button.click()
        done = page.locator("#done")
        expect(done).to_have_text(f"已发送到小票机 127.0.0.1:{printer.port} (第1次打印)")
        expect(page.locator("#banner")).to_be_hidden()
        [job] = printer.wait_for(1)
        assert job.startswith(b"\x1b@")
        assert "票券x1: 100.00".encode("gb18030") in job
        assert fetch_order(live, demo, order_id)["status"] == "closed"
        shot(page, "cashier-network-print-1024")

    set_till_printer(live, demo, closed_port())  # the printer is switched off
    button.click()
    banner = page.locator("#banner")
    expect(banner).to_contain_text("小票机无法连接")
    expect(banner).to_contain_text("请检查打印机电源和网线")
    shot(page, "cashier-network-print-off-1024")
