"""The live alert of online payments: which payments a store's cashier is to settle, and a
wake-up when one is recorded in any API process.

On PostgreSQL one thread per process LISTENs on `repository.CHANNEL` (the notify handler's
transaction sends NOTIFY with the store id when it commits) and wakes the waiting streams of that
store; the streams read `pending_payments` again on every wake and at least every `timeout`, so a
lost connection or a missed NOTIFY costs a poll interval, never the alert. SQLite has no NOTIFY:
the streams only poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.domain.records import Terminal
from voucherbridge.selfpay.repository import LISTEN, OnlinePaymentRepo, libpq_conninfo

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class PaymentAlert:
    """One online payment waiting for the cashier (线上支付 ¥xx.xx 桌号 A3)."""

    id: int
    order_id: int
    table: str
    amount_fen: int
    amount_yuan: str
    transaction_id: str
    paid_at: str


def pending_payments(uow: UnitOfWorkFactory, terminal: Terminal) -> list[PaymentAlert]:
    """The store's online payments whose bills are still open, oldest first."""
    zone = ZoneInfo(terminal.timezone)
    with uow() as tx:
        rows = tx.repo(OnlinePaymentRepo).pending(terminal.merchant_id, terminal.store_id)
    return [
        PaymentAlert(
            id=p.id,
            order_id=p.order_id,
            table=p.table_no,
            amount_fen=p.amount_fen,
            amount_yuan=fen_to_yuan_str(p.amount_fen),
            transaction_id=p.transaction_id or "",
            paid_at=_local(p.paid_at, zone),
        )
        for p in rows
    ]


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat() if moment else ""


class PaymentSignals:
    """Wake-ups per store for this process (see the module's note). `database_url` None: no
    listener (SQLite), `wait` only sleeps its timeout. The listener thread runs while some
    stream waits and ends within a second of the last one leaving."""

    def __init__(self, database_url: str | None) -> None:
        self._conninfo = libpq_conninfo(database_url) if database_url else None
        self._lock = threading.Lock()
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(set)
        )
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while the LISTEN connection is up

    def _start(self) -> None:
        if self._conninfo is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._listen, name="payment-signals", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    async def wait(self, store_id: int, timeout: float) -> bool:
        """Until a payment of the store is recorded (True) or `timeout` seconds pass."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._start()
            self._waiters[store_id].add(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters[store_id].discard(entry)

    def _idle(self) -> bool:
        """No stream waits: the listener ends (and its connection closes) until the next one."""
        with self._lock:
            if any(self._waiters.values()):
                return False
            self._thread = None
            return True

    def wake(self, store_id: int) -> None:
        with self._lock:
            waiting = list(self._waiters.get(store_id, ()))
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def _listen(self) -> None:
        import psycopg

        assert self._conninfo is not None
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(LISTEN)
                    self.listening.set()
                    backoff = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            with contextlib.suppress(ValueError):
                                self.wake(int(note.payload))
                        if self._idle():
                            self.listening.clear()
                            return
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("payment_signals.listen_failed", extra={"error": str(exc)})
                if self._idle():
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        self.listening.clear()
