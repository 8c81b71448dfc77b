"""Disabling a listing in Chromium at 1366x768 (issue 18, point 9): the row's 停用 button opens a
confirmation page that says how many sold codes are still unused and that they keep redeeming;
only 确认停用 disables it, and the list then shows it disabled with 启用 beside it. No script is
needed for any of it. Screenshots go under the pytest temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_console import console_login, sold_campaign
from tests.browser._pages import fresh_page

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(browser: Browser) -> Iterator[Page]:
    yield from fresh_page(browser, LAPTOP)


def test_disabling_a_listing_asks_first_and_says_the_sold_codes_still_redeem(
    laptop: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    listing_id = sold_campaign(
        live,
        demo,
        name="30元代金券(老活动)",
        title="30元券·老团购",
        face_fen=3000,
        price_fen=1990,
        reference="old-groupbuy",
    )["listing"]
    console_login(laptop, live, demo["console"]["user"], demo["console"]["password"])
    laptop.goto(f"{live}/console/listings")
    row = laptop.locator(f'tr[data-listing-id="{listing_id}"]')
    expect(row).to_contain_text("在售")
    row.locator(f'[data-disable="listings:{listing_id}"]').click()

    confirm = laptop.locator("#confirm")
    expect(confirm.locator("h2")).to_have_text("停用票券关联「30元券·老团购」?")
    expect(confirm).to_contain_text("还有 4 张已售出未使用的券,停用后它们仍可在有效期内核销。")
    expect(confirm).to_contain_text("停用只停止新的售卖")
    confirm_button = confirm.locator("button", has_text="确认停用")
    expect(confirm_button).to_be_focused()  # Enter confirms; the cancel link is one Tab away
    shot(laptop, "console-disable-listing-confirm")

    confirm_button.click()
    row = laptop.locator(f'tr[data-listing-id="{listing_id}"]')
    expect(row.locator(".listing-state")).to_have_text("已停用已售出的券仍可核销")
    expect(row.locator(f'[data-enable="listings:{listing_id}"]')).to_have_text("启用")
    shot(laptop, "console-disable-listing-done")

    row.locator(f'[data-enable="listings:{listing_id}"]').click()
    expect(laptop.locator(f'tr[data-listing-id="{listing_id}"]')).to_contain_text("在售")
