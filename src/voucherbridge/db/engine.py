"""Engine creation: SQLite in WAL mode with write transactions that lock up front."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from voucherbridge.db.driver import run_sql

WRITE_OPTION = "vb_write"
# A write transaction that must not wait for SQLite's lock: BEGIN IMMEDIATE fails at once with
# SQLITE_BUSY instead of sleeping on busy_timeout (`UnitOfWork(wait=False)`).
NOWAIT_OPTION = "vb_nowait"
BUSY_TIMEOUT_MS = 30000
# JSON columns through orjson, not the standard library's json (about a tenth of the time a
# redeem spent converting its parameters; issue #20). Still refused, as json.dumps refuses
# them: times, dataclasses and anything else JSON has no type for.
_STRICT = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def json_text(value: Any) -> str:
    """A JSON column's text: what `json.dumps` gives, without the spaces."""
    return orjson.dumps(value, option=_STRICT).decode()


JSON_OPTIONS: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def normalize_url(url: str) -> str:
    """Accept plain postgres:// URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine tuned for the embedded default (SQLite) or for PostgreSQL."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url,
        **JSON_OPTIONS,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it cost a round trip per checkout, i.e. per request (issue #20). A
        # connection the server dropped fails one request, and the pool then discards it
        # (SQLAlchemy invalidates the whole pool on a disconnect error); recycling keeps
        # connections younger than idle timeouts.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        **JSON_OPTIONS,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=24,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction that starts as a reader can fail with SQLITE_BUSY when it
        # upgrades; taking the write lock at BEGIN makes writers queue on busy_timeout instead.
        options = conn.get_execution_options()
        if not options.get(WRITE_OPTION, False):
            run_sql(conn, "BEGIN")
        elif not options.get(NOWAIT_OPTION, False):
            run_sql(conn, "BEGIN IMMEDIATE")
        else:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA busy_timeout=0")
            try:
                run_sql(conn, "BEGIN IMMEDIATE")
            finally:
                driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    return engine


def is_busy(exc: OperationalError) -> bool:
    """Whether SQLite refused for its lock being held (SQLITE_BUSY), not for anything else."""
    return getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
