"""Start-up guard and the CLI a newcomer runs first."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import wait_until
from voucherbridge.app import create_app
from voucherbridge.config import Settings
from voucherbridge.db.migrate import SchemaNotMigrated


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db", environment="test")
    with pytest.raises(SchemaNotMigrated, match="voucherbridge migrate"):
        create_app(settings)


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(environment="production")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VOUCHERBRIDGE_DATABASE_URL": f"sqlite:///{db}",
        "VOUCHERBRIDGE_LOG_LEVEL": "WARNING",
        # No simulator answers there: seed-demo seeds our side only and says so.
        **{
            f"VOUCHERBRIDGE_{name}_BASE_URL": f"http://127.0.0.1:{_closed_port()}"
            for name in ("DOUYIN", "MEITUAN", "WEIMALL")
        },
    }
    return subprocess.run(
        [sys.executable, "-m", "voucherbridge.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_seed_demo_json_has_the_spec_shape_and_is_repeatable(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    seeded = _cli("seed-demo", "--json", db=db)
    first = json.loads(seeded.stdout)
    assert set(first) >= {"base_url", "terminal_key", "terminal_keys", "console", "items", "codes"}
    assert set(first) >= {"platform_codes", "sample_orders", "listings"}
    assert first["terminal_key"] == first["terminal_keys"]["皇岗店"]
    assert set(first["terminal_keys"]) == {"皇岗店", "福田店"}
    assert first["console"] == {"user": "admin", "password": "hotpot-hq-demo"}
    prices = {i["name"]: i["unit_price_fen"] for i in first["items"]}
    assert prices == {
        "朝日超爽黑生啤": 1800,
        "王老吉": 4800,
        "凉瓜黄豆汤底": 19900,
        "鱼香肉丝": 3800,
        "法棍泡芙": 1990,
    }
    # No platform answers: no code is made behind a platform's back, and stderr says why.
    assert (first["codes"], first["platform_codes"], first["sample_orders"]) == ({}, {}, {})
    for platform in ("微商城", "抖音", "美团"):
        assert f"{platform}模拟器未运行" in seeded.stderr, seeded.stderr
    assert {kind for kinds in first["listings"].values() for kind in kinds} == {
        "cash", "item", "deduction", "combo"
    }  # fmt: skip
    second = json.loads(_cli("seed-demo", "--json", db=db).stdout)
    assert second["terminal_key"] != first["terminal_key"]  # keys rotate; old ones revoked
    assert second["keys_replaced"] is True
    assert second["listings"] == first["listings"]  # nothing made twice


def test_docs_error_catalogue_is_current() -> None:
    from voucherbridge.i18n.catalogue import catalogue_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
    assert docs.read_text(encoding="utf-8") == catalogue_markdown(), (
        "run: voucherbridge error-catalogue > docs/errors.md"
    )


def test_simulate_serves_the_douyin_simulator_on_loopback(tmp_path: Path) -> None:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "voucherbridge.cli.main", "simulate", "douyin", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def answered() -> httpx.Response | None:
            try:
                return httpx.post(
                    f"http://127.0.0.1:{port}/oauth/client_token/",
                    json={
                        "client_key": "vb-demo-key",
                        "client_secret": "vb-demo-secret",
                        "grant_type": "client_credential",
                    },
                    timeout=2,
                )
            except httpx.TransportError:
                return None

        token = wait_until(
            answered, timeout_s=30, interval_s=0.2, message="simulator did not start"
        )
        assert token.json()["data"]["access_token"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
