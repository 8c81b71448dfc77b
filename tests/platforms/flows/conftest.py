"""Platform flows end to end: our API and worker against the platform simulators over real
HTTP on loopback. Simulators live for the whole module and are reset before each test; our
service is served on its own port whenever a simulator must call us."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.factories import FakeClock
from tests.helpers import SEED_ORDER, demo_admin_headers
from tests.simulators.simtools import serve_pushed_to
from voucherbridge.bootstrap import Container
from voucherbridge.config import Settings
from voucherbridge_sims.douyin.simulator import DouyinSimConfig
from voucherbridge_sims.douyin.simulator import create_app as douyin_app
from voucherbridge_sims.meituan.simulator import MeituanSimConfig
from voucherbridge_sims.meituan.simulator import create_app as meituan_app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

__all__ = ["SEED_ORDER"]

DOUYIN_KEY, DOUYIN_SECRET = "vb-demo-key", "vb-demo-secret"
MEITUAN_KEY, MEITUAN_SECRET = "mt-demo-key", "mt-demo-secret"


@pytest.fixture(scope="module")
def douyin_server() -> Iterator[ServerThread]:
    config = DouyinSimConfig(
        client_key=DOUYIN_KEY, client_secret=DOUYIN_SECRET, time_scale=0.001, spi_timeout_s=8.0
    )
    with ServerThread(douyin_app(config)) as server:
        yield server


@pytest.fixture
def douyin(douyin_server: ServerThread) -> Iterator[httpx.Client]:
    """The Douyin simulator, reset, as an HTTP client on its base URL."""
    with httpx.Client(base_url=douyin_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


@pytest.fixture(scope="module")
def meituan_server() -> Iterator[ServerThread]:
    config = MeituanSimConfig(app_key=MEITUAN_KEY, app_secret=MEITUAN_SECRET)
    with ServerThread(meituan_app(config)) as server:
        yield server


@pytest.fixture
def meituan(meituan_server: ServerThread) -> Iterator[httpx.Client]:
    """The Meituan simulator, reset (demo shops and session), as an HTTP client on its base URL."""
    with httpx.Client(base_url=meituan_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


@pytest.fixture(scope="module")
def weimall_server() -> Iterator[ServerThread]:
    # pushes are retried on the mall's real schedule (1 m, 5 m ...) shrunk a thousandfold
    with ServerThread(weimall_app(WeimallSimConfig(time_scale=0.001))) as server:
        yield server


@pytest.fixture
def weimall(weimall_server: ServerThread) -> Iterator[httpx.Client]:
    """The micro-mall simulator, reset, as an HTTP client on its base URL."""
    with httpx.Client(base_url=weimall_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


@pytest.fixture
def settings(
    database_url: str,
    douyin_server: ServerThread,
    weimall_server: ServerThread,
    meituan_server: ServerThread,
) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        log_level="WARNING",
        douyin_base_url=douyin_server.base_url,
        weimall_base_url=weimall_server.base_url,
        meituan_base_url=meituan_server.base_url,
        douyin_client_key=DOUYIN_KEY,
        meituan_app_key=MEITUAN_KEY,
        meituan_app_secret=MEITUAN_SECRET,
        platform_retry_wait_s=0.01,
        platform_timeout_s=5.0,
    )


@pytest.fixture
def live(app: Any, douyin_server: ServerThread, weimall_server: ServerThread) -> Iterator[str]:
    """Our service on a real port; the simulators push to it."""
    yield from serve_pushed_to(app, douyin_server, weimall_server)


@pytest.fixture
def admin(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    return demo_admin_headers(client, demo)


@pytest.fixture
def deliver(container: Container) -> Callable[[], Any]:
    """Run the outbox worker once with the real platform deliverers."""
    from voucherbridge.outbox.service import deliver_due

    def run() -> Any:
        return deliver_due(container.uow, container.deliverers(), container.clock)

    return run


def sim_clock_follows(sim: httpx.Client, fake: FakeClock) -> None:
    """Move the simulator's clock to ours (windows are judged on both sides)."""
    sim.post("/_sim/clock", json={"now": fake.now.isoformat()}).raise_for_status()
