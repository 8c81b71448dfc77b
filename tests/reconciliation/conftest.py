"""Reconciliation against the platform simulators over real HTTP: the flows' simulators,
settings, live server, admin and worker fixtures, and a clock at noon of a China day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import FakeClock
from tests.platforms.flows.conftest import (  # noqa: F401 - fixtures shared with the flows
    admin,
    deliver,
    douyin,
    douyin_server,
    live,
    meituan,
    meituan_server,
    settings,
    weimall,
    weimall_server,
)
from voucherbridge.bootstrap import Container

CHINA = timedelta(hours=8)


@pytest.fixture
def noon(container: Container) -> FakeClock:
    """Our clock at 12:00 Beijing time today: every use of a test falls on one merchant day."""
    today = (datetime.now(UTC) + CHINA).date()
    fake = FakeClock(datetime(today.year, today.month, today.day, 4, tzinfo=UTC))
    container.clock = fake
    return fake
