"""Which notifier a process uses (settings.notifier), and WeChat's token kept where every
process finds it: the platforms' shared token store (one sealed row in `platform_tokens`,
platform "wechat", keyed by the appid), handed in by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from voucherbridge.config import Settings
from voucherbridge.notifications.log_notifier import LogNotifier
from voucherbridge.notifications.ports import Notifier

if TYPE_CHECKING:
    from voucherbridge.platforms.ports import SharedToken, SharedTokens

PLATFORM = "wechat"


class AppTokens:
    """`wechat.tokens.TokenStore` over the shared store, for one app."""

    def __init__(self, shared: SharedTokens, app_key: str) -> None:
        self.shared, self.app_key = shared, app_key

    def load(self) -> SharedToken | None:
        return self.shared.load(PLATFORM, self.app_key)

    def save(self, value: str, renew_at: datetime) -> SharedToken:
        return self.shared.save(PLATFORM, self.app_key, value, renew_at)

    def forget(self, value: str) -> None:
        current = self.shared.load(PLATFORM, self.app_key)
        if current is not None and current.value == value:  # not one another process renewed
            self.shared.forget(PLATFORM, self.app_key, current)


def make_notifier(
    settings: Settings, shared: SharedTokens | None, now: Callable[[], datetime]
) -> Notifier:
    if settings.notifier == "wechat":
        from voucherbridge.notifications.wechat.client import WeChatTemplateNotifier

        return WeChatTemplateNotifier(
            settings.wechat_base_url,
            settings.wechat_appid,
            settings.wechat_secret,
            store=AppTokens(shared, settings.wechat_appid) if shared is not None else None,
            now=now,
            timeout_s=settings.platform_timeout_s,
            retry_wait_s=settings.platform_retry_wait_s,
            max_attempts=settings.platform_max_attempts,
        )
    return LogNotifier()
