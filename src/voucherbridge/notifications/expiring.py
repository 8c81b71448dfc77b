"""The reminder three days before a code ends: a pass of the worker (`expiring_loop`) that
queues one message per unused code with a buyer ending within three days.

Idempotent across processes: the message row's unique key (`expiring:<code id>`) is the claim;
two workers passing at once both try the insert and one of them queues the message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.notifications import EXPIRING_DAYS
from voucherbridge.notifications.events import enqueue
from voucherbridge.notifications.repository import NotificationRepo

log = structlog.get_logger("voucherbridge.notifications")
BATCH = 200


def enqueue_expiring(make_uow: UnitOfWorkFactory, now: datetime, *, batch: int = BATCH) -> int:
    """Queue the reminders due now, every merchant; how many were queued."""
    until = now + timedelta(days=EXPIRING_DAYS)
    queued = 0
    seen: set[int] = set()
    while True:
        with make_uow(write=True) as uow:
            due = [
                f
                for f in uow.repo(NotificationRepo).expiring(now, until, batch)
                if f.code_id not in seen
            ]
            for facts in due:
                seen.add(facts.code_id)
                queued += enqueue(
                    uow,
                    facts,
                    uow.repo(NotificationRepo).template(facts.merchant_id, "expiring"),
                    event="expiring",
                    dedupe_key=f"expiring:{facts.code_id}",
                    store_name="",
                    amount_fen=facts.face_value_fen,
                    item_name=facts.item_name,
                    at=now,
                )
            uow.commit()
        if len(due) < batch:
            break
    if queued:
        log.info("notify.expiring_queued", count=queued)
    return queued


def expiring_loop(
    make_uow: UnitOfWorkFactory,
    clock: Callable[[], datetime],
    stop: threading.Event,
    *,
    every_s: float = 600.0,
) -> None:
    """Pass every `every_s` until `stop` (the worker runs it in a thread)."""
    while not stop.is_set():
        try:
            enqueue_expiring(make_uow, clock())
        except Exception:  # a bad pass must not end the loop; the next one tries again
            log.exception("notify.expiring_failed")
        stop.wait(every_s)
