"""Shared fixtures: a real PostgreSQL server per session, a clean database per test.

`database_url` is parametrized over SQLite and PostgreSQL, so every test that uses it (or the
fixtures built on it) runs on both. A test that asks for `demo` (directly or through another
fixture) gets a copy of the demo world, seeded once per session and backend; any other test gets
an empty migrated database.

Session scope is per process, so under pytest-xdist every worker builds its own templates; the
PostgreSQL databases carry the worker's id (`PYTEST_XDIST_WORKER`) so that workers sharing one
server (`VOUCHERBRIDGE_TEST_PG_URL`) never meet.
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Table, create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import FakeClock
from tests.helpers import SEED_ORDER, open_order, terminal_headers
from tests.pgserver import running_server
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge.db.migrate import upgrade
from voucherbridge.db.tables import metadata

# Chromium and the screenshots folder, shared by page tests in every folder
pytest_plugins = ["tests.browser._chromium"]

BACKENDS = ["sqlite", "postgresql"]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
DEMO_BASE_URL = "http://testserver"
# The demo seed's JSON of the database `database_url` handed this test (see `demo`).
DEMO_SEED = pytest.StashKey[dict[str, Any]]()


@dataclass(frozen=True)
class SqliteDemo:
    """A migrated SQLite file with the demo merchant seeded, and what the seed returned."""

    path: Path
    seed: dict[str, Any]


@dataclass(frozen=True)
class PgDemo:
    """The demo world's rows (binary COPY of each non-empty table), its sequences' positions,
    and what the seed returned."""

    rows: dict[str, bytes]
    sequences: list[tuple[str, int]]
    seed: dict[str, Any]


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, environment="test", log_level="WARNING")


def seed_demo_into(url: str) -> dict[str, Any]:
    """Seed the demo merchant into the migrated database at `url` and close every connection."""
    from tests.demo_world import seed_test_world

    container = build(settings_for(url))
    try:
        return seed_test_world(
            container.uow,
            now=container.clock(),
            base_url=DEMO_BASE_URL,
            seal=container.secrets.seal,
        )
    finally:
        container.engine.dispose()


def _pg_url(server: str, database: str) -> str:
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def _create_database(server: str, name: str) -> str:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = _pg_url(server, name)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _drop_database(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    if os.environ.get("VOUCHERBRIDGE_TEST_PG_URL"):
        yield os.environ["VOUCHERBRIDGE_TEST_PG_URL"]
        return
    with running_server() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test copies it (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> SqliteDemo:
    """The migrated file with the demo merchant seeded once; demo tests copy it."""
    path = tmp_path_factory.mktemp("sqlite-demo-template") / "demo.db"
    shutil.copy(sqlite_template, path)
    seed = seed_demo_into(f"sqlite:///{path}")
    # Fold any write-ahead log into the file, so that copying the file copies everything.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return SqliteDemo(path, seed)


@pytest.fixture(scope="session")
def pg_migrated(pg_server: str) -> str:
    """A migrated database on the session's server; each test empties it before it starts."""
    return _create_database(pg_server, f"vb_test_{WORKER}")


@pytest.fixture(scope="session")
def pg_demo_template(pg_server: str) -> Iterator[PgDemo]:
    """The demo merchant seeded once into its own database, whose rows the copies are made of.

    Restoring these rows into the emptied test database (`_truncate_all`) measured about twice
    as fast as `CREATE DATABASE ... TEMPLATE` per test, with either copy strategy.
    """
    name = f"vb_demo_tpl_{WORKER}"
    url = _create_database(pg_server, name)
    seed = seed_demo_into(url)
    rows: dict[str, bytes] = {}
    engine = create_engine(url)
    with engine.connect() as conn, _cursor(conn) as cursor:
        for table in metadata.sorted_tables:
            if cursor.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None:
                continue
            data = bytearray()
            with cursor.copy(_copy_sql(table, "TO STDOUT")) as out:
                for chunk in out:
                    data += chunk
            rows[table.name] = bytes(data)
        cursor.execute(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"
            " WHERE last_value IS NOT NULL"
        )
        sequences = [(str(sequence), int(value)) for sequence, value in cursor.fetchall()]
    engine.dispose()
    yield PgDemo(rows, sequences, seed)
    _drop_database(pg_server, name)


def _cursor(conn: Connection) -> Any:
    """A psycopg cursor on the connection's own DBAPI connection (for COPY)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw.cursor()


def _copy_sql(table: Table, direction: str) -> str:
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    return f"COPY {table.name} ({columns}) {direction} (FORMAT binary)"


def _truncate_all(url: str, demo: PgDemo | None = None) -> None:
    """Empty every table (sequences restarted); with `demo`, put the demo world's rows back."""
    engine = create_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if demo is not None:
            with _cursor(conn) as cursor:
                for table in metadata.sorted_tables:
                    if table.name not in demo.rows:
                        continue
                    with cursor.copy(_copy_sql(table, "FROM STDIN")) as into:
                        into.write(demo.rows[table.name])
                for sequence, value in demo.sequences:
                    cursor.execute("SELECT setval(%s, %s)", (sequence, value))
    engine.dispose()


def sqlite_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A copy of the migrated SQLite template, with the demo world if the test asks for `demo`."""
    path = tmp_path / "vb.db"
    if "demo" in request.fixturenames:
        template: SqliteDemo = request.getfixturevalue("sqlite_demo_template")
        shutil.copy(template.path, path)
        request.node.stash[DEMO_SEED] = copy.deepcopy(template.seed)
    else:
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


def postgresql_database(request: pytest.FixtureRequest) -> str:
    """The worker's PostgreSQL database, emptied, with the demo world if the test asks for it."""
    url: str = request.getfixturevalue("pg_migrated")
    if "demo" in request.fixturenames:
        template: PgDemo = request.getfixturevalue("pg_demo_template")
        _truncate_all(url, template)
        request.node.stash[DEMO_SEED] = copy.deepcopy(template.seed)
    else:
        _truncate_all(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database on each backend (demo-seeded when the test uses `demo`)."""
    if request.param == "sqlite":
        return sqlite_database(request, tmp_path)
    return postgresql_database(request)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = build(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def demo(request: pytest.FixtureRequest, container: Container) -> dict[str, Any]:
    """The seed-demo data (SPEC): keys, console login, items and unused codes of each kind.

    The database `database_url` handed this test is already a copy of the seeded world; a
    database made some other way (a conftest's own `database_url`) is seeded here instead.
    """
    seeded: dict[str, Any] | None = request.node.stash.get(DEMO_SEED, None)
    if seeded is not None:
        return seeded
    from tests.demo_world import seed_test_world

    return seed_test_world(
        container.uow,
        now=container.clock(),
        base_url=DEMO_BASE_URL,
        seal=container.secrets.seal,
    )


@pytest.fixture
def app(container: Container) -> Any:
    from voucherbridge.app import create_app

    return create_app(container=container)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def clock(container: Container) -> FakeClock:
    fake = FakeClock()
    container.clock = fake
    return fake


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return terminal_headers(demo["terminal_key"])


@pytest.fixture
def new_order(client: Any, auth: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Open an order (the seed's bill unless other lines are given) and return its body."""

    def make(
        lines: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {**SEED_ORDER, **fields}
        if lines is not None:
            body["lines"] = lines
        return open_order(client, headers or auth, **body)

    return make
