"""Shared fixtures: a real PostgreSQL server per session, a clean database per test.

`database_url` is parametrized over SQLite and PostgreSQL, so every test that uses it (or the
fixtures built on it) runs on both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.pgserver import running_server
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge.db.migrate import upgrade
from voucherbridge.db.tables import metadata

BACKENDS = ["sqlite", "postgresql"]


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
def pg_migrated(pg_server: str) -> str:
    """A migrated database on the session's server; tests truncate it before they start."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS vb_test"))
        conn.execute(text("CREATE DATABASE vb_test"))
    admin.dispose()
    url = make_url(pg_server).set(database="vb_test").render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "vb.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_migrated")
    _truncate_all(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", log_level="WARNING")


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = build(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def demo(container: Container) -> dict[str, Any]:
    """The seed-demo data (SPEC): keys, console login, items and unused codes of each kind."""
    from voucherbridge.demo.seed import seed_demo

    return seed_demo(
        container.uow,
        now=container.clock(),
        base_url="http://testserver",
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
