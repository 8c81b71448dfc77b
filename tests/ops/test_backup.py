"""`voucherbridge backup`: a live SQLite database copied while it serves, restored elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.demo_world import seed_test_world
from voucherbridge.app import create_app
from voucherbridge.bootstrap import build
from voucherbridge.config import Settings
from voucherbridge.db import tables as t
from voucherbridge.db.backup import BackupNotSupported, backup_sqlite
from voucherbridge.db.migrate import upgrade


def test_backup_restores_every_redemption(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    container = build(Settings(database_url=url, environment="test", log_level="WARNING"))
    upgrade(container.engine)
    demo = seed_test_world(
        container.uow, now=container.clock(), base_url="x", seal=container.secrets.seal
    )
    from fastapi.testclient import TestClient

    auth = {"Authorization": f"Bearer {demo['terminal_key']}"}
    lines = [{"item_code": "SOUP01", "name": "汤底", "quantity": 1, "unit_price_fen": 19900}]
    with TestClient(create_app(container=container)) as client:
        for code in demo["codes"]["cash"][:3]:
            order = client.post("/api/v1/orders", json={"lines": lines}, headers=auth).json()
            response = client.post(
                "/api/v1/redemptions", json={"code": code, "order_id": order["id"]}, headers=auth
            )
            assert response.status_code == 201
        # the service keeps its connections open while the backup runs
        result = subprocess.run(
            [sys.executable, "-m", "voucherbridge.cli.main", "backup", str(tmp_path / "b.db")],
            env={**os.environ, "VOUCHERBRIDGE_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "backup written" in result.stdout
    restored = tmp_path / "restored.db"
    (tmp_path / "b.db").rename(restored)
    engine = create_engine(f"sqlite:///{restored}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.redemptions)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(t.outbox)).scalar() == 3
    engine.dispose()
    container.engine.dispose()
    again = build(Settings(database_url=f"sqlite:///{restored}", environment="test"))
    create_app(container=again)  # migrated, so the service starts on the restored file
    again.engine.dispose()


def test_backup_refuses_postgresql_with_the_command_to_use():
    with pytest.raises(BackupNotSupported, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://u@localhost/vb", Path("x.db"))
