"""Which platform client serves which use case, built once per process from settings.

Clients are imported here and nowhere else, so the services only ever see the ports of
`services/platform_ports.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from voucherbridge.config import Settings
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.services.platform_redemption import PlatformGateway
from voucherbridge.services.platform_sync import sync_deliverer

if TYPE_CHECKING:
    from voucherbridge.adapters.platforms.douyin.client import DouyinClient
    from voucherbridge.adapters.platforms.meituan.client import MeituanClient
    from voucherbridge.adapters.platforms.weimall.client import WeimallClient
    from voucherbridge.bootstrap import Container
    from voucherbridge.services.bindings import BindingTester
    from voucherbridge.services.outbox import Deliverer
    from voucherbridge.services.platform_ports import MerchantCodeSync, PlatformCodeClient


class Platforms:
    """The platform clients of one process (each keeps its HTTP connections and tokens)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _retry(self) -> dict[str, float | int]:
        s = self.settings
        return {
            "timeout_s": s.platform_timeout_s,
            "retry_wait_s": s.platform_retry_wait_s,
            "max_attempts": s.platform_max_attempts,
        }

    @cached_property
    def douyin(self) -> DouyinClient:
        from voucherbridge.adapters.platforms.douyin.client import DouyinClient

        s = self.settings
        return DouyinClient(
            s.douyin_base_url,
            s.douyin_client_key,
            short_link_base=s.douyin_short_link_base or s.douyin_base_url.rstrip("/") + "/s",
            **self._retry(),  # type: ignore[arg-type]
        )

    @cached_property
    def meituan(self) -> MeituanClient:
        from voucherbridge.adapters.platforms.meituan.client import MeituanClient

        s = self.settings
        return MeituanClient(
            s.meituan_base_url,
            s.meituan_app_key,
            s.meituan_app_secret,
            **self._retry(),  # type: ignore[arg-type]
        )

    @cached_property
    def weimall(self) -> WeimallClient:
        from voucherbridge.adapters.platforms.weimall.client import WeimallClient

        return WeimallClient(self.settings.weimall_base_url, **self._retry())  # type: ignore[arg-type]

    def gateway(self, open_secret: Callable[[str], str]) -> PlatformGateway:
        return PlatformGateway(clients=_CodeClients(self), open_secret=open_secret)


class _CodeClients(Mapping[str, "PlatformCodeClient"]):
    """Platform-code clients, each built on first use (a merchant-code scan needs none)."""

    NAMES = ("douyin", "meituan")

    def __init__(self, platforms: Platforms) -> None:
        self.platforms = platforms

    def __getitem__(self, name: str) -> PlatformCodeClient:
        if name not in self.NAMES:
            raise KeyError(name)
        client: PlatformCodeClient = getattr(self.platforms, name)
        return client

    def __contains__(self, name: object) -> bool:
        return name in self.NAMES  # without building the client

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)


def deliverers_for(container: Container) -> dict[str, Deliverer]:
    """Destinations the worker delivers to: each platform that hears of merchant-code use."""
    platforms = container.platform_clients

    def weimall() -> MerchantCodeSync:
        from voucherbridge.adapters.platforms.weimall.sync import WeimallSync

        return WeimallSync(platforms.weimall)

    def douyin() -> MerchantCodeSync:
        from voucherbridge.adapters.platforms.douyin.sync import DouyinSync

        return DouyinSync(platforms.douyin)

    return {
        f"platform:{name}": sync_deliverer(container.uow, name, factory, container.secrets.open)
        for name, factory in (("weimall", weimall), ("douyin", douyin))
    }


def binding_tester(container: Container) -> BindingTester:
    """The signed test call of each platform, for binding a store."""
    platforms = container.platform_clients

    def test(platform: str, platform_store_id: str, secret: str) -> str:
        client = {
            "weimall": lambda: platforms.weimall,
            "douyin": lambda: platforms.douyin,
            "meituan": lambda: platforms.meituan,
        }.get(platform)
        if client is None:
            raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=platform)
        return client().test_binding(platform_store_id, secret)

    return test
