"""The shared layout loads in Debian's Chromium with our own assets only."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page


def test_static_assets_are_served_by_us(page: Page, live: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    response = page.goto(f"{live}/static/base.css")
    assert response is not None
    assert response.status == 200
    assert all(url.startswith(live) for url in requested)


def test_chromium_runs(page: Page, live: str, shot: Any) -> None:
    page.set_content("<p>券桥</p>")
    assert page.inner_text("p") == "券桥"
    assert shot(page, "smoke").exists()
