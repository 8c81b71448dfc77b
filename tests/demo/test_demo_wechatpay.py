"""The demo takes WeChat Pay's keys from the WeChat simulator at its configured address; what it
prints when that address is held by something else (it once was: two simulators on one port)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from voucherbridge.cli.demo_stack import WECHATPAY_VARIABLES, use_simulated_wechatpay
from voucherbridge.config import Settings
from voucherbridge_sims.meituan.simulator import create_app as meituan_app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.wechat.simulator import create_app as wechat_app


def _settings(tmp_path: Path, base_url: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/x.db", environment="test", wechat_base_url=base_url
    )


@pytest.fixture(autouse=True)
def no_wechatpay_settings() -> Iterator[None]:
    """The demo writes the keys into this process's environment: start without them and take
    them out again, so that no later test in this process pays on this simulator."""
    saved = {name: os.environ.pop(name) for name in WECHATPAY_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        for name in WECHATPAY_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(saved)


def test_another_program_on_the_wechat_port_is_named_not_a_crash(tmp_path: Path) -> None:
    with ServerThread(meituan_app()) as other:
        line = use_simulated_wechatpay(_settings(tmp_path, other.base_url))
    assert line == (
        f"  微信支付 WeChat Pay: {other.base_url} 不是微信模拟器,自助买单不可用 / "
        "not the WeChat simulator, self-pay unavailable"
    )
    assert not any(name in os.environ for name in WECHATPAY_VARIABLES)


def test_the_wechat_simulator_s_keys_become_our_settings(tmp_path: Path) -> None:
    with ServerThread(wechat_app()) as sim:
        line = use_simulated_wechatpay(_settings(tmp_path, sim.base_url))
        mchid = os.environ["VOUCHERBRIDGE_WECHATPAY_MCHID"]
        assert line == f"  微信支付 WeChat Pay: {sim.base_url} (模拟器 / simulated, 商户号 {mchid})"
        assert os.environ["VOUCHERBRIDGE_WECHATPAY_BASE_URL"] == sim.base_url
