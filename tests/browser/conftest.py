"""Browser fixtures: our service on a real port with the demo merchant, the micro-mall
simulator beside it, and Debian's Chromium driven by Playwright (never a downloaded browser).

Pages run on SQLite only: the pages call the same services as the API, whose behaviour on
PostgreSQL the integration and e2e suites already prove; a browser per backend would double the
slowest suite for no new coverage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import sqlite_database
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

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
DESKTOP = {"width": 1280, "height": 800}
POS_TABLET = {"width": 800, "height": 1280}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite only: a copy of the migrated template (the demo-seeded one for demo tests)."""
    return sqlite_database(request, tmp_path)


@pytest.fixture(scope="module")
def weimall_server() -> Iterator[ServerThread]:
    with ServerThread(weimall_app(WeimallSimConfig(time_scale=0.001))) as server:
        yield server


@pytest.fixture
def settings(database_url: str, weimall_server: ServerThread) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        log_level="WARNING",
        weimall_base_url=weimall_server.base_url,
        platform_retry_wait_s=0.01,
    )


@pytest.fixture
def live(app: Any, demo: dict[str, Any], weimall_server: ServerThread) -> Iterator[str]:
    """Our service (demo data seeded) on a real port; the micro-mall simulator pushes to it."""
    sim = weimall_server.server.config.app.state.sim
    with ServerThread(app) as server:
        sim.config.target_base_url = server.base_url
        yield server.base_url
    sim.config.target_base_url = None


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


def _page(browser: Browser, viewport: dict[str, int], locale: str) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, locale=locale)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop browser (1280x800, Chinese) with no cookies."""
    yield from _page(browser, DESKTOP, "zh-CN")


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    """A fresh 10-inch POS tablet in portrait (800x1280)."""
    yield from _page(browser, POS_TABLET, "zh-CN")


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
