"""The unit of work: one connection, one transaction, explicit commit; nothing more.

It hands out the repositories that the use cases ask for (`uow.repo(CodeRepo)`), each living in
the feature that owns its queries, so this module knows no feature and mirrors no repository.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from voucherbridge.db.driver import rollback_keeping_prepared
from voucherbridge.db.engine import NOWAIT_OPTION, WRITE_OPTION, is_busy
from voucherbridge.db.repository import Repository

R = TypeVar("R", bound=Repository)


class WriterBusy(Exception):
    """A unit of work asked not to wait (`wait=False`) found the writer busy: another write
    transaction holds this process's write lock or SQLite's. Nothing was read or written."""


class KeptConnection:
    """One SQLite connection that the event loop's units of work use in turn, instead of each
    checking one out of the pool and back: the checkout, the `Connection` built around it and
    the pool's reset at its return were about a tenth of a redeem's CPU (issue #20).

    One unit of work holds it at a time (the loop runs one piece of work at a time, but a use
    case may open a second unit while its first is still open): another one takes its own
    from the pool. A unit of work always ends its transaction before it hands the connection
    back; one that was invalidated is dropped and the next unit connects afresh."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError("a kept connection is for SQLite's event loop work only")
        self._engine = engine
        self._conn: Connection | None = None
        self._taken = False

    def take(self) -> Connection | None:
        """The connection, unless a unit of work holds it already (then None)."""
        if self._taken:
            return None
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        self._taken = True
        return self._conn

    def give_back(self, conn: Connection) -> None:
        assert conn is self._conn
        assert self._taken
        self._taken = False
        if conn.in_transaction() or conn.invalidated:  # never handed on mid-transaction
            self._conn = None
            conn.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class UnitOfWork:
    """Leaving the `with` block without `commit()` keeps nothing: it rolls back (a read-only
    one on PostgreSQL commits instead, which for it is the same: see `_read_only`)."""

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool = False,
        write_lock: threading.Lock | None = None,
        wait: bool = True,
        kept: KeptConnection | None = None,
    ) -> None:
        self._engine = engine
        self._write = write
        self._wait = wait
        self._write_lock = write_lock if write else None
        self._kept = kept
        self._from_kept = False
        self._conn: Connection | None = None
        self._repos: dict[type[Repository], Repository] = {}
        self._resumable = False
        # PostgreSQL: a read-only unit of work is READ ONLY there (a write in it fails instead
        # of vanishing) and ends with COMMIT, which is the same for it as ROLLBACK except that
        # psycopg forgets every statement it prepared on the connection at a ROLLBACK (and
        # sends DEALLOCATE ALL): the statements of every scan were parsed and planned afresh at
        # each request, 1.2 ms of the server's CPU for the joined code query alone (issue #20).
        self._read_only = not write and engine.dialect.name == "postgresql"

    @property
    def write(self) -> bool:
        return self._write

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def __enter__(self) -> UnitOfWork:
        if self._resumable and self._conn is not None:
            self._resumable = False  # opened by `UnitOfWorkFactory.opened_first`: carry on
            return self
        if self._write_lock is not None and not self._write_lock.acquire(blocking=self._wait):
            raise WriterBusy
        conn: Connection | None = None
        try:
            conn = self._kept.take() if self._kept is not None else None
            self._from_kept = conn is not None
            if conn is None:
                conn = self._engine.connect()
            if self._from_kept:  # set in place, so a kept connection's last ones are replaced
                conn.execution_options(**{WRITE_OPTION: self._write, NOWAIT_OPTION: not self._wait})
            elif self._write:
                conn = conn.execution_options(**{WRITE_OPTION: True, NOWAIT_OPTION: not self._wait})
            elif self._read_only:
                conn = conn.execution_options(postgresql_readonly=True)
            conn.begin()
        except BaseException as exc:
            if conn is not None:
                self._let_go(conn)
            if self._write_lock is not None:
                self._write_lock.release()
            if isinstance(exc, OperationalError) and not self._wait and is_busy(exc):
                raise WriterBusy from exc
            raise
        self._conn = conn
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
                if self._read_only and exc_type is None and not self._conn.invalidated:
                    self._conn.commit()  # nothing to keep: see `_read_only`
                else:
                    self.rollback()
        finally:
            self._let_go(self._conn)
            self._conn = None
            self._repos.clear()
            if self._write_lock is not None:
                self._write_lock.release()

    def _let_go(self, conn: Connection) -> None:
        if self._from_kept:
            assert self._kept is not None
            self._from_kept = False
            self._kept.give_back(conn)
        else:
            conn.close()

    def repo(self, kind: type[R]) -> R:
        """The repository `kind` on this transaction's connection (one instance per transaction)."""
        found = self._repos.get(kind)
        if found is None:
            if self._conn is None:
                raise RuntimeError("a repository is used outside its unit of work")
            found = self._repos[kind] = kind(self._conn)
        assert isinstance(found, kind)
        return found

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    def rollback(self) -> None:
        assert self._conn is not None
        if self._engine.dialect.name == "postgresql":
            rollback_keeping_prepared(self._conn)
        else:
            self._conn.rollback()


class UnitOfWorkFactory:
    """Opens units of work on one engine; `write=True` takes the write lock up front on SQLite."""

    _kept: KeptConnection | None = None  # the connection its units use when free (`not_waiting`)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Queueing this process's writers on a lock, instead
        # of on SQLite's busy handler (which sleeps in growing steps), keeps the tail latency
        # of a busy till short; other processes still wait on busy_timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, write: bool = False, wait: bool = True) -> UnitOfWork:
        """A unit of work; `wait=False`: a write one raises `WriterBusy` on entry instead of
        waiting when another writer holds the lock."""
        return UnitOfWork(
            self.engine, write=write, write_lock=self._write_lock, wait=wait, kept=self._kept
        )

    def opened_first(self, *, write: bool = False) -> FirstOpened:
        """This factory, except that the first unit of work it hands out is one already open
        (`FirstOpened.uow`): a request checks its credentials in it, and the use case carries
        on in the same transaction instead of beginning one of its own (issue #20)."""
        return FirstOpened(self, self(write=write))

    def not_waiting(self, kept: KeptConnection | None = None) -> NotWaiting:
        """This factory, except that its first write unit of work does not wait (`NotWaiting`);
        with `kept`, its units of work use that connection when it is free."""
        return NotWaiting(self, kept)


class NotWaiting(UnitOfWorkFactory):
    """A factory whose first write unit of work raises `WriterBusy` on entry instead of waiting
    for another writer; every one after it waits as usual (it may follow one that committed).

    So work that uses only it either runs as with its inner factory or raises `WriterBusy`
    having written nothing (reads aside), and can then be run again from the start."""

    def __init__(self, inner: UnitOfWorkFactory, kept: KeptConnection | None = None) -> None:
        self.engine = inner.engine
        self._write_lock = inner._write_lock
        self._first_write = True
        self._kept = kept

    def __call__(self, *, write: bool = False, wait: bool = True) -> UnitOfWork:
        if write and self._first_write:
            self._first_write, wait = False, False
        return super().__call__(write=write, wait=wait)


class FirstOpened(UnitOfWorkFactory):
    """A factory whose first unit of work is opened up front. Use it as a context manager:
    leaving it closes the first unit of work if the use case never took it (or rolls back
    whatever it left uncommitted)."""

    def __init__(self, inner: UnitOfWorkFactory, first: UnitOfWork) -> None:
        self.engine = inner.engine
        self._write_lock = inner._write_lock
        self._inner = inner
        self._first: UnitOfWork | None = first
        self.uow = first

    def __enter__(self) -> FirstOpened:
        self.uow.__enter__()
        self.uow._resumable = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.uow.is_open:
            self.uow._resumable = False
            self.uow.__exit__(exc_type, exc, tb)

    def __call__(self, *, write: bool = False, wait: bool = True) -> UnitOfWork:
        first, self._first = self._first, None
        if first is not None and first.is_open and (first.write or not write):
            return first
        if first is not None and first.is_open:  # pragma: no cover - a write after a read
            first._resumable = False
            first.__exit__(None, None, None)
        return self._inner(write=write, wait=wait)
