"""Wiring: settings → engine → unit-of-work factory → clock, shared by API, CLI and worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from voucherbridge.adapters.crypto import SecretBox
from voucherbridge.adapters.db.engine import make_engine
from voucherbridge.adapters.db.uow import SqlUnitOfWorkFactory
from voucherbridge.config import Settings


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


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    return Container(
        settings=settings,
        engine=engine,
        uow=SqlUnitOfWorkFactory(engine),
        secrets=SecretBox(settings.secret_key),
    )
