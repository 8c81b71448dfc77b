"""The SQLAlchemy unit of work: one connection, one transaction, explicit commit."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from voucherbridge.db import repositories as r
from voucherbridge.db.engine import WRITE_OPTION


class SqlUnitOfWork:
    """Leaving the `with` block without `commit()` rolls everything back."""

    def __init__(
        self, engine: Engine, *, write: bool = False, write_lock: threading.Lock | None = None
    ) -> None:
        self._engine = engine
        self._write = write
        self._write_lock = write_lock if write else None
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            return self._open()
        except BaseException:
            if self._write_lock is not None:
                self._write_lock.release()
            raise

    def _open(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(**{WRITE_OPTION: True})
        conn.begin()
        self._conn = conn
        self.merchants = r.MerchantRepo(conn)
        self.stores = r.StoreRepo(conn)
        self.items = r.ItemRepo(conn)
        self.terminals = r.TerminalRepo(conn)
        self.users = r.UserRepo(conn)
        self.templates = r.TemplateRepo(conn)
        self.listings = r.ListingRepo(conn)
        self.codes = r.CodeRepo(conn)
        self.orders = r.OrderRepo(conn)
        self.redemptions = r.RedemptionRepo(conn)
        self.idempotency = r.IdempotencyRepo(conn)
        self.outbox = r.OutboxRepo(conn)
        self.bindings = r.BindingRepo(conn)
        self.audit = r.AuditRepo(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
        finally:
            self._conn.close()
            self._conn = None
            if self._write_lock is not None:
                self._write_lock.release()

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()


class SqlUnitOfWorkFactory:
    """Opens units of work on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Queueing this process's writers on a lock, instead
        # of on SQLite's busy handler (which sleeps in growing steps), keeps the tail latency
        # of a busy till short; other processes still wait on busy_timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write, write_lock=self._write_lock)
