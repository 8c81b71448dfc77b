"""A fresh browser context at a screen size: every page test starts with no cookies."""

from __future__ import annotations

from collections.abc import Iterator

from playwright.sync_api import Browser, Page


def fresh_page(
    browser: Browser, viewport: dict[str, int], locale: str = "zh-CN", **options: object
) -> Iterator[Page]:
    """A page in a new context of `viewport` (Chinese unless told), closed after the test."""
    context = browser.new_context(viewport=viewport, locale=locale, **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
