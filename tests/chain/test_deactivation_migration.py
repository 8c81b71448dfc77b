"""Revision 0007 on a database that already holds a chain, run as `voucherbridge migrate` runs
it (the app's engine: SQLite with foreign_keys=ON): merchants come out active, and the web
terminals the cashier page issued before it are tied to their cashier (so deactivating the
cashier ends them), while a till's own terminal stays nobody's; rows that point at the merchant
and its terminals (an order) stay intact. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from voucherbridge.chain.auth import hash_secret
from voucherbridge.db.engine import make_engine
from voucherbridge.db.migrate import alembic_config, current_revision, head_revision

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(str(engine.url))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each backend, not migrated yet."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield made
        made.dispose()
        return
    server: str = request.getfixturevalue("pg_server")
    name = f"vb_mig0007_{WORKER}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    made = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    yield made
    made.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _chain_at_0006(engine: Engine) -> None:
    """A merchant, one store, a cashier with a web terminal and a till, as 0006 stored them."""
    rows = [
        ("INSERT INTO merchants (id, name, timezone, created_at) VALUES (1, '火锅', 'UTC', :now)"),
        (
            "INSERT INTO stores (id, merchant_id, name, brand, address, active, created_at)"
            " VALUES (1, 1, '皇岗店', '火锅', '', :yes, :now)"
        ),
        (
            "INSERT INTO users (id, merchant_id, username, display_name, password_hash, role,"
            " store_ids, active, created_at)"
            " VALUES (1, 1, 'xiaoli', '', 'x', 'cashier', '[1]', :yes, :now)"
        ),
    ]
    terminals = [
        (1, "网页收银台 · xiaoli", "vbt_web"),
        (2, "收银1", "vbt_till"),
        (3, "网页收银台 · somebody-gone", "vbt_orphan"),
    ]
    with engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql), {"now": NOW, "yes": True})
        for terminal_id, name, key in terminals:
            conn.execute(
                text(
                    "INSERT INTO terminals (id, merchant_id, store_id, name, key_prefix, key_hash,"
                    " created_at) VALUES (:id, 1, 1, :name, :prefix, :hash, :now)"
                ),
                {
                    "id": terminal_id,
                    "name": name,
                    "prefix": key[:8],
                    "hash": hash_secret(key),
                    "now": NOW,
                },
            )
        conn.execute(
            text(
                "INSERT INTO orders (id, merchant_id, store_id, terminal_id, order_no, table_no,"
                " guests, service_fee_fen, total_fen, status, version, opened_at)"
                " VALUES (1, 1, 1, 2, 'A0001', '', 2, 0, 3600, 'open', 1, :now)"
            ),
            {"now": NOW},
        )


def test_0007_keeps_merchants_active_and_ties_old_web_terminals_to_their_cashier(
    engine: Engine,
) -> None:
    _upgrade(engine, "0006")
    _chain_at_0006(engine)

    _upgrade(engine, "head")
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        active = conn.execute(text("SELECT active FROM merchants")).scalars().all()
        owners = dict(conn.execute(text("SELECT id, user_id FROM terminals ORDER BY id")).all())
        order = conn.execute(text("SELECT merchant_id, terminal_id FROM orders")).one()
    assert [bool(a) for a in active] == [True]
    assert owners == {1: 1, 2: None, 3: None}
    assert tuple(order) == (1, 2)
