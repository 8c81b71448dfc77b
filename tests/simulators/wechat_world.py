"""Our settings against the WeChat simulator (template messages, web-page sign-in and, when
asked, WeChat Pay with the keys the simulator made at its start) and the micro-mall simulator,
as the consumer, self-pay and browser tests use them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread


def wechatpay_settings(base_url: str) -> dict[str, str]:
    """Our VOUCHERBRIDGE_WECHATPAY_* settings from the simulator's credentials hook."""
    creds = httpx.get(f"{base_url}/_sim/wechatpay/credentials", timeout=10).json()
    return {
        "wechatpay_base_url": base_url,
        "wechatpay_mchid": creds["mchid"],
        "wechatpay_apiv3_key": creds["apiv3_key"],
        "wechatpay_private_key": creds["merchant_private_key"],
        "wechatpay_serial": creds["merchant_serial"],
        "wechatpay_platform_public_key": creds["platform_public_key"],
        "wechatpay_platform_serial": creds["platform_serial"],
        "wechat_appid": creds["appid"],
    }


def wechat_settings(
    database_url: str,
    *,
    weimall: ServerThread,
    wechat: ServerThread,
    pay: bool = False,
    **extra: Any,
) -> Settings:
    """Test settings with the mall and WeChat (sign-in; Pay too when `pay`) on the simulators."""
    fields: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "log_level": "WARNING",
        "weimall_base_url": weimall.base_url,
        "wechat_base_url": wechat.base_url,
        "wechat_oauth_base_url": wechat.base_url,
        "platform_retry_wait_s": 0.01,
        "platform_timeout_s": 5.0,
    }
    if pay:
        fields.update(wechatpay_settings(wechat.base_url))
    return Settings(**{**fields, **extra})


def add_wechat_users(http: httpx.Client, users: Iterable[tuple[str, str]]) -> None:
    """The official account's followers the simulator knows: (openid, nickname) pairs."""
    for openid, nickname in users:
        body = {"openid": openid, "nickname": nickname}
        http.post("/_sim/wechat/users", json=body).raise_for_status()
