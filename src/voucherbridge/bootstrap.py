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
from voucherbridge.notifications.delivery import notification_deliverer
from voucherbridge.notifications.events import DESTINATION as NOTIFY
from voucherbridge.notifications.expiring import expiring_loop
from voucherbridge.notifications.ports import Notifier
from voucherbridge.notifications.wiring import make_notifier
from voucherbridge.outbox.service import Deliverer, DeliveryReport
from voucherbridge.outbox.worker import run_worker
from voucherbridge.platforms.ports import PlatformGateway
from voucherbridge.platforms.registry import Platforms, deliverers_for, meituan_session_refresher
from voucherbridge.platforms.session_refresh import refresh_loop
from voucherbridge.platforms.shared_tokens import DatabaseTokens
from voucherbridge.reconciliation.nightly import nightly_loop
from voucherbridge.reconciliation.service import StatementReader
from voucherbridge.selfpay.live import PaymentSignals
from voucherbridge.selfpay.wechatpay import WeChatPay


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
        # The Douyin app's token lives in the database: one for all our processes.
        return Platforms(self.settings, DatabaseTokens(self.uow, self.secrets, self.clock))

    @cached_property
    def sign_in_policy(self) -> SignInPolicy:
        """The password-guessing lock-out for the console and the cashier page."""
        return SignInPolicy(
            max_failures=self.settings.sign_in_max_failures,
            window_s=self.settings.sign_in_window_s,
            account_key=subkey(self.settings.secret_key, b"sign-in accounts v1"),
        )

    @cached_property
    def notifier(self) -> Notifier:
        """The consumer notifier of this process (log by default; WeChat's token shared
        through the database like Douyin's)."""
        return make_notifier(self.settings, self.platform_clients.shared_tokens, self._now)

    def _now(self) -> datetime:
        return self.clock()  # tests swap the clock after the container is built

    def deliverers(self) -> dict[str, Deliverer]:
        """The outbox destinations of this deployment (one per platform told of code use, and
        the consumer notifications)."""
        table = deliverers_for(self.uow, self.platform_clients, self.secrets.open)
        table[NOTIFY] = notification_deliverer(self.uow, lambda: self.notifier, self._now)
        return table

    def run_expiring(self, stop: threading.Event, *, every_s: float | None = None) -> None:
        """The reminders of codes ending within three days, queued every few minutes."""
        every = self.settings.notify_expiring_every_s if every_s is None else every_s
        expiring_loop(self.uow, self._now, stop, every_s=every)

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

    def run_nightly(self, stop: threading.Event, *, every_s: float = 60.0) -> None:
        """The nightly reconciliation (对账) of every merchant's yesterday, until `stop`."""
        reader = StatementReader(self.platform_clients, self.secrets.open)
        nightly_loop(self.uow, reader, self.clock, stop, every_s=every_s)

    def run_session_refresh(self, stop: threading.Event, *, every_s: float = 3600.0) -> None:
        """Meituan sessions renewed before they lapse, hourly, until `stop`."""
        refresh_loop(
            self.uow,
            refresh=meituan_session_refresher(self.platform_clients),
            sealer=self.secrets,
            clock=self.clock,
            stop=stop,
            every_s=every_s,
        )

    @cached_property
    def wechatpay(self) -> WeChatPay:
        """The WeChat Pay v3 merchant account self-pay charges (VOUCHERBRIDGE_WECHATPAY_*)."""
        return WeChatPay(self.settings)

    @cached_property
    def payment_signals(self) -> PaymentSignals:
        """Wakes this process's cashier pages when a payment of their store is recorded in
        any process (PostgreSQL LISTEN, while some stream waits; SQLite: streams poll)."""
        return PaymentSignals(self.settings.database_url if not self.settings.is_sqlite else None)

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
