"""The API documents open in Chromium on a machine with no internet: Swagger UI and ReDoc come
from our own files, render our operations and error examples, and ask no other host for
anything."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect


def _requests_elsewhere(page: Page, live: str) -> list[str]:
    """What the page fetched from another host. ReDoc's bundle names its own logo on a CDN;
    our policy blocks it (the request never completes) and the page renders without it."""
    elsewhere: list[str] = []
    page.on(
        "requestfinished",
        lambda request: (
            None
            if request.url.startswith((live, "data:", "blob:"))
            else elsewhere.append(request.url)
        ),
    )
    return elsewhere


def test_swagger_ui_renders_offline_with_the_catalogue_examples(
    page: Page, live: str, demo: dict[str, Any]
) -> None:
    elsewhere = _requests_elsewhere(page, live)
    page.goto(f"{live}/docs")
    expect(page.get_by_role("heading", name="VoucherBridge")).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/redemptions").first
    expect(operation).to_be_visible()
    operation.click()
    expect(page.get_by_text("票券不存在").first).to_be_attached()
    assert elsewhere == []


def test_redoc_renders_offline(page: Page, live: str, demo: dict[str, Any]) -> None:
    elsewhere = _requests_elsewhere(page, live)
    page.goto(f"{live}/redoc")
    expect(page.get_by_text("VoucherBridge").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("/api/v1/redemptions").first).to_be_attached()
    assert elsewhere == []
