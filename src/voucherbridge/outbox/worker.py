"""`voucherbridge worker`: deliver the outbox until stopped (SIGTERM/SIGINT finish the batch)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import structlog

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.outbox.service import Deliverer, DeliveryReport, deliver_due

log = structlog.get_logger("voucherbridge.worker")


def run_worker(
    make_uow: UnitOfWorkFactory,
    deliverers: Mapping[str, Deliverer],
    clock: Callable[[], datetime],
    *,
    batch: int,
    lease: timedelta,
    poll_seconds: float = 1.0,
    stop: threading.Event | None = None,
    once: bool = False,
) -> DeliveryReport:
    """Loop over due rows; sleeps only when there was nothing to do."""
    stop = stop or stop_on_signals()
    table = deliverers
    total = DeliveryReport()
    log.info("worker.started", destinations=sorted(table))
    while not stop.is_set():
        report = deliver_due(make_uow, table, clock, batch=batch, lease=lease, stop=stop)
        total.delivered += report.delivered
        total.retried += report.retried
        total.dead += report.dead
        total.skipped += report.skipped
        if once:
            break
        # Rows given back to wait are not progress: what they wait for is someone else's.
        if not (report.delivered or report.retried or report.dead or report.skipped):
            stop.wait(poll_seconds)
    log.info(
        "worker.stopped",
        delivered=total.delivered,
        retried=total.retried,
        dead=total.dead,
        skipped=total.skipped,
    )
    return total


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (when called from the main thread)."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    return stop
