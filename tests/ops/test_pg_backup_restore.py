"""The production guide's PostgreSQL backup, tested: `pg_dump -Fc` of a live database with
redemptions and outbox rows, `pg_restore` into a new database, the same rows, and the service
(and `voucherbridge doctor`'s database checks) start on the restored copy."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import _drop_database, postgresql_database, settings_for
from tests.helpers import SEED_ORDER, must_redeem, open_order, terminal_headers
from tests.pgserver import find_pg_bin
from tests.procs import seed
from voucherbridge.app import create_app
from voucherbridge.bootstrap import build
from voucherbridge.ops.doctor import database

TABLES = ("redemptions", "outbox", "codes", "audit_log")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    return postgresql_database(request)


def _counts(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {
            table: conn.execute(text(f"select count(*) from {table}")).scalar_one()
            for table in TABLES
        }
        found["public_ids"] = sorted(
            conn.execute(text("select public_id from redemptions")).scalars()
        )
    engine.dispose()
    return found


def test_pg_dump_and_pg_restore_give_back_every_redemption(
    pg_url: str, pg_server: str, tmp_path: Path
):
    bin_dir = find_pg_bin()
    assert bin_dir is not None
    demo = seed(pg_url)
    auth = terminal_headers(demo["terminal_key"])
    container = build(settings_for(pg_url))
    with TestClient(create_app(container=container)) as client:
        for code in demo["codes"]["cash"][:3]:
            must_redeem(client, auth, code, open_order(client, auth, SEED_ORDER["lines"])["id"])
        dump = tmp_path / "vb.dump"
        url = make_url(pg_url)
        target = ["-h", str(url.host), "-p", str(url.port), "-U", str(url.username)]
        # while the service holds its connections open
        subprocess.run(
            [str(bin_dir / "pg_dump"), "-Fc", "--no-owner", *target, "-d", str(url.database)]
            + ["-f", str(dump)],
            check=True,
            capture_output=True,
        )
    container.engine.dispose()
    restored_name = "vb_restored_check"
    _drop_database(pg_server, restored_name)
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {restored_name}"))  # empty: the dump has it all
    admin.dispose()
    restored = make_url(pg_url).set(database=restored_name).render_as_string(hide_password=False)
    try:
        subprocess.run(
            [str(bin_dir / "pg_restore"), "--no-owner", "--exit-on-error", *target]
            + ["-d", restored_name, str(dump)],
            check=True,
            capture_output=True,
        )
        assert _counts(restored) == _counts(pg_url)
        assert _counts(restored)["redemptions"] == 3
        again = build(settings_for(restored))
        create_app(container=again)  # at head: the service starts on the restored copy
        assert all(f.ok for f in database(again.uow, again.clock()))
        again.engine.dispose()
    finally:
        _drop_database(pg_server, restored_name)
