"""The merchant console in Chromium: a store manager kept to their own store, the English
switch, and the layout on an 800x1280 POS tablet. The HQ admin's day (store, till key, binding,
template, listing, archive, outbox) runs in test_story.py, through to the counter. Screenshots
go under the pytest temp dir."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser._helpers_console import console_login


def test_a_store_manager_sees_only_their_store_and_is_refused_another(
    page: Page, live: str, demo: dict[str, Any], shot: Any
) -> None:
    manager = demo["store_manager"]
    console_login(page, live, manager["user"], manager["password"], "/console/stores")
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
    console_login(page, live, "admin", "hotpot-hq-demo")
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
    console_login(tablet, live, "admin", "hotpot-hq-demo")
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
