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
from playwright.sync_api import Browser, Page

from tests.browser._pages import fresh_page
from tests.conftest import sqlite_database
from tests.simulators.simtools import serve_pushed_to
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

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
    yield from serve_pushed_to(app, weimall_server)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop browser (1280x800, Chinese) with no cookies."""
    yield from fresh_page(browser, DESKTOP)


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    """A fresh 10-inch POS tablet in portrait (800x1280)."""
    yield from fresh_page(browser, POS_TABLET)
