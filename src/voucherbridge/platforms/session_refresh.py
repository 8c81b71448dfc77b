"""Meituan merchant sessions renewed before they lapse, so that no till meets 授权已失效.

A session lives about 30 days and can be refreshed a limited number of times (the exchange
says how many: ``remain_refresh_count``). The worker runs this every hour: each bound store
whose session ends within `REFRESH_AHEAD` gets the next session, written with a
compare-and-set so two workers never both replace it. A session with no refresh left is
reported (the merchant must authorize again); a refused refresh is left for the next run, and
for the till's own "授权已失效" once it really lapses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError
from voucherbridge.platforms.bindings import SecretSealer
from voucherbridge.platforms.meituan.session import MeituanSession
from voucherbridge.platforms.repository import BindingRepo

PLATFORM = "meituan"
REFRESH_AHEAD = timedelta(days=3)
log = structlog.get_logger("voucherbridge.platforms.session_refresh")


@dataclass(frozen=True)
class RefreshReport:
    refreshed: int = 0
    failed: int = 0
    exhausted: int = 0  # no refresh left: the merchant must authorize again


def refresh_meituan_sessions(
    make_uow: UnitOfWorkFactory,
    *,
    refresh: Callable[[str], str],
    sealer: SecretSealer,
    now: datetime,
    ahead: timedelta = REFRESH_AHEAD,
) -> RefreshReport:
    with make_uow() as uow:
        bound = uow.repo(BindingRepo).bound_to(PLATFORM)
    report = RefreshReport()
    for binding in bound:
        try:
            session = MeituanSession.of(sealer.open(binding.secret_sealed))
        except ValueError:
            continue  # sealed under another key: the till says so already
        if not session.expires_before(now + ahead):
            continue
        where = {"store_id": binding.store_id, "shop": binding.platform_store_id}
        if not session.refreshable:
            log.warning("meituan.session_refresh_exhausted", **where)
            report = replace(report, exhausted=report.exhausted + 1)
            continue
        try:
            renewed = MeituanSession.of(refresh(session.refresh_token))
        except DomainError as exc:
            log.warning("meituan.session_refresh_failed", reason=exc.code.value, **where)
            report = replace(report, failed=report.failed + 1)
            continue
        if not renewed.bid:
            renewed = replace(renewed, bid=session.bid)
        with make_uow(write=True) as uow:
            swapped = uow.repo(BindingRepo).replace_secret(
                binding.id, binding.secret_sealed, sealer.seal(renewed.to_secret())
            )
            uow.commit()
        if swapped:
            log.info("meituan.session_refreshed", left=renewed.remain_refresh_count, **where)
            report = replace(report, refreshed=report.refreshed + 1)
    return report


def refresh_loop(
    make_uow: UnitOfWorkFactory,
    *,
    refresh: Callable[[str], str],
    sealer: SecretSealer,
    clock: Callable[[], datetime],
    stop: threading.Event,
    every_s: float = 3600.0,
) -> None:
    """In a worker thread of its own: now, then every `every_s`, until `stop`."""
    while not stop.is_set():
        try:
            refresh_meituan_sessions(make_uow, refresh=refresh, sealer=sealer, now=clock())
        except Exception:  # a bad hour must not stop the worker process
            log.exception("meituan.session_refresh_error")
        if stop.wait(every_s):
            break
