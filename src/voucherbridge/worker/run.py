"""`voucherbridge worker`: deliver the outbox until stopped (SIGTERM/SIGINT finish the batch)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from datetime import timedelta

import structlog

from voucherbridge.bootstrap import Container
from voucherbridge.services.outbox import Deliverer, DeliveryReport, deliver_due

log = structlog.get_logger("voucherbridge.worker")


def build_deliverers(container: Container) -> dict[str, Deliverer]:
    """Destination name → deliverer, from the platform adapters configured in settings."""
    from voucherbridge.adapters.platforms.registry import deliverers_for

    return deliverers_for(container)


def run_worker(
    container: Container,
    *,
    deliverers: Mapping[str, Deliverer] | None = None,
    poll_seconds: float = 1.0,
    stop: threading.Event | None = None,
    once: bool = False,
) -> DeliveryReport:
    """Loop over due rows; sleeps only when there was nothing to do."""
    stop = stop or _stop_on_signals()
    table = deliverers if deliverers is not None else build_deliverers(container)
    total = DeliveryReport()
    log.info("worker.started", destinations=sorted(table))
    while not stop.is_set():
        report = deliver_due(
            container.uow,
            table,
            container.clock,
            batch=container.settings.outbox_batch,
            lease=timedelta(seconds=container.settings.outbox_lease_s),
        )
        total.delivered += report.delivered
        total.retried += report.retried
        total.dead += report.dead
        if once:
            break
        if not (report.delivered or report.retried or report.dead):
            stop.wait(poll_seconds)
    log.info("worker.stopped", delivered=total.delivered, retried=total.retried, dead=total.dead)
    return total


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    return stop
