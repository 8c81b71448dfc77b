"""Wiring: settings → engine → unit-of-work factory → clock, shared by API, CLI and worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine

from voucherbridge.adapters.crypto import SecretBox, subkey
from voucherbridge.adapters.db.engine import make_engine
from voucherbridge.adapters.db.uow import SqlUnitOfWorkFactory
from voucherbridge.adapters.platforms.registry import Platforms
from voucherbridge.config import Settings
from voucherbridge.services.platform_redemption import PlatformGateway
from voucherbridge.services.sign_in import SignInPolicy


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """What every entry point needs; built once per process."""

    settings: Settings
    engine: Engine
    uow: SqlUnitOfWorkFactory
    secrets: SecretBox
    clock: Callable[[], datetime] = field(default=utc_now)

    @cached_property
    def platform_clients(self) -> Platforms:
        return Platforms(self.settings)

    @cached_property
    def sign_in_policy(self) -> SignInPolicy:
        """The password-guessing lock-out for the console and the cashier page."""
        return SignInPolicy(
            max_failures=self.settings.sign_in_max_failures,
            window_s=self.settings.sign_in_window_s,
            account_key=subkey(self.settings.secret_key, b"sign-in accounts v1"),
        )

    @cached_property
    def platforms(self) -> PlatformGateway:
        """What the use cases call platforms through (platform codes)."""
        return self.platform_clients.gateway(self.secrets.open)


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    return Container(
        settings=settings,
        engine=engine,
        uow=SqlUnitOfWorkFactory(engine),
        secrets=SecretBox(settings.secret_key),
    )
