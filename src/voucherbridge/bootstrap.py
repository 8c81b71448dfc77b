"""Wiring: settings → engine → unit-of-work factory → clock, shared by API, CLI and worker."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine

from voucherbridge.chain.sign_in import SignInPolicy
from voucherbridge.config import Settings
from voucherbridge.core.clock import utc_now
from voucherbridge.core.crypto import SecretBox, subkey
from voucherbridge.core.logs import configure_logging
from voucherbridge.db.engine import make_engine
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.outbox.service import Deliverer, DeliveryReport
from voucherbridge.outbox.worker import run_worker
from voucherbridge.platforms.ports import PlatformGateway
from voucherbridge.platforms.registry import Platforms, deliverers_for


@dataclass
class Container:
    """What every entry point needs; built once per process."""

    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory
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

    def deliverers(self) -> dict[str, Deliverer]:
        """The outbox destinations of this deployment (one per platform told of code use)."""
        return deliverers_for(self.uow, self.platform_clients, self.secrets.open)

    def run_worker(
        self, *, poll_seconds: float = 1.0, stop: threading.Event | None = None, once: bool = False
    ) -> DeliveryReport:
        """The outbox worker loop with this deployment's destinations, batch and lease, logging
        as the API does (format, level, redaction: `create_app` configures the same)."""
        configure_logging(self.settings)
        return run_worker(
            self.uow,
            self.deliverers(),
            self.clock,
            batch=self.settings.outbox_batch,
            lease=timedelta(seconds=self.settings.outbox_lease_s),
            poll_seconds=poll_seconds,
            stop=stop,
            once=once,
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
        uow=UnitOfWorkFactory(engine),
        secrets=SecretBox(settings.secret_key),
    )
