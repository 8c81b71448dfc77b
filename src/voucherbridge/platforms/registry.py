"""Which platform client serves which use case, built once per process from settings.

Clients are imported here and nowhere else, so the services only ever see the ports of
`services/platform_ports.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from voucherbridge.config import Settings
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import PlatformGateway
from voucherbridge.platforms.sync import sync_deliverer

if TYPE_CHECKING:
    from voucherbridge.db.uow import UnitOfWorkFactory
    from voucherbridge.outbox.service import Deliverer
    from voucherbridge.platforms.bindings import BindingTester
    from voucherbridge.platforms.douyin.client import DouyinClient
    from voucherbridge.platforms.meituan.client import MeituanClient
    from voucherbridge.platforms.meituan_authorization import SessionExchange
    from voucherbridge.platforms.ports import MerchantCodeSync, PlatformCodeClient, SharedTokens
    from voucherbridge.platforms.weimall.client import WeimallClient


class BindingTestClient(Protocol):
    def test_binding(self, platform_store_id: str, credential: str) -> str: ...


class Platforms:
    """The platform clients of one process (each keeps its HTTP connections; the Douyin app's
    token is in ``shared_tokens`` when given, for all processes)."""

    def __init__(self, settings: Settings, shared_tokens: SharedTokens | None = None) -> None:
        self.settings = settings
        self.shared_tokens = shared_tokens

    def _retry(self) -> dict[str, float | int]:
        s = self.settings
        return {
            "timeout_s": s.platform_timeout_s,
            "retry_wait_s": s.platform_retry_wait_s,
            "max_attempts": s.platform_max_attempts,
        }

    @cached_property
    def douyin(self) -> DouyinClient:
        from voucherbridge.platforms.douyin.client import DouyinClient

        s = self.settings
        return DouyinClient(
            s.douyin_base_url,
            s.douyin_client_key,
            s.douyin_client_secret,
            shared_tokens=self.shared_tokens,
            short_link_base=s.douyin_short_link_base or s.douyin_base_url.rstrip("/") + "/s",
            **self._retry(),  # type: ignore[arg-type]
        )

    @cached_property
    def meituan(self) -> MeituanClient:
        from voucherbridge.platforms.meituan.client import MeituanClient

        s = self.settings
        return MeituanClient(
            s.meituan_base_url,
            s.meituan_app_key,
            s.meituan_app_secret,
            **self._retry(),  # type: ignore[arg-type]
        )

    @cached_property
    def weimall(self) -> WeimallClient:
        from voucherbridge.platforms.weimall.client import WeimallClient

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


def deliverers_for(
    make_uow: UnitOfWorkFactory, platforms: Platforms, open_secret: Callable[[str], str]
) -> dict[str, Deliverer]:
    """Destinations the worker delivers to: each platform that hears of merchant-code use."""

    def weimall() -> MerchantCodeSync:
        from voucherbridge.platforms.weimall.sync import WeimallSync

        return WeimallSync(platforms.weimall)

    def douyin() -> MerchantCodeSync:
        from voucherbridge.platforms.douyin.sync import DouyinSync

        return DouyinSync(platforms.douyin)

    return {
        f"platform:{name}": sync_deliverer(make_uow, name, factory, open_secret)
        for name, factory in (("weimall", weimall), ("douyin", douyin))
    }


def meituan_session_exchange(platforms: Platforms) -> SessionExchange:
    """The merchant's ``auth_code`` turned into the binding secret (session, bid, refresh)."""

    def exchange(auth_code: str, redirect_url: str) -> str:
        return platforms.meituan.exchange_auth_code(auth_code, redirect_url).secret()

    return exchange


def meituan_session_refresher(platforms: Platforms) -> Callable[[str], str]:
    """A refresh token turned into the next session's binding secret."""

    def refresh(refresh_token: str) -> str:
        return platforms.meituan.refresh_session(refresh_token).secret()

    return refresh


def binding_tester(platforms: Platforms) -> BindingTester:
    """The signed test call of each platform, for binding a store."""

    def test(platform: str, platform_store_id: str, credential: str) -> str:
        if platform not in ("weimall", "douyin", "meituan"):
            raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=platform)
        client: BindingTestClient = getattr(platforms, platform)
        return client.test_binding(platform_store_id, credential)

    return test
