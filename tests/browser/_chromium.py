"""The browser fixtures every page test shares, whichever folder it lives in: one Debian
Chromium per test process (Playwright's sync API may start only once in a process) and one
folder of screenshots. Registered for the whole suite by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (./vb test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of screenshots for the whole run: `<pytest basetemp>/screenshots`."""
    return tmp_path_factory.mktemp("screenshots", numbered=False)


@pytest.fixture
def shot(screenshots: Path) -> Any:
    """Save a full-page screenshot under the pytest temp dir: `shot(page, "console-stores")`."""
    folder = screenshots

    def take(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
