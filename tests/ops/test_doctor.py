"""`voucherbridge doctor`: a Rich table of the installation's checks; exit 1 when one fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.pgserver import free_port
from voucherbridge.cli.main import app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

STRONG_KEY = "k" * 8 + "-doctor-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def platform_url() -> Iterator[str]:
    """Something answering HTTP where a platform should be."""
    with ServerThread(weimall_app(WeimallSimConfig())) as server:
        yield server.base_url


def _doctor(database_url: str, platform: str, **env: str) -> tuple[int, str]:
    settings = {
        "VOUCHERBRIDGE_DATABASE_URL": database_url,
        "VOUCHERBRIDGE_ENVIRONMENT": "test",
        "VOUCHERBRIDGE_SECRET_KEY": STRONG_KEY,
        "VOUCHERBRIDGE_LOG_LEVEL": "WARNING",
        **{f"VOUCHERBRIDGE_{p}_BASE_URL": platform for p in ("DOUYIN", "MEITUAN", "WEIMALL")},
        **env,
    }
    result = CliRunner().invoke(app, ["doctor", "--timeout", "2"], env=settings)
    return result.exit_code, result.output


def _row(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if f"│ {name} " in line)


def test_doctor_passes_on_a_sound_installation(database_url: str, platform_url: str):
    code, output = _doctor(database_url, platform_url)
    assert code == 0, output
    assert "voucherbridge doctor" in output
    for name in ("secret key", "database", "migrations", "clock skew", "platform douyin"):
        assert "✓ ok" in _row(output, name), output
    assert "HTTP " in _row(output, "platform meituan")


def test_doctor_fails_on_a_default_key_and_an_unreachable_platform(
    database_url: str, platform_url: str
):
    dead = f"http://127.0.0.1:{free_port()}"
    code, output = _doctor(
        database_url,
        platform_url,
        VOUCHERBRIDGE_SECRET_KEY="dev-insecure-secret-change-me",
        VOUCHERBRIDGE_MEITUAN_BASE_URL=dead,
    )
    assert code == 1, output
    assert "✗ 失败 failed" in _row(output, "secret key")
    assert "VOUCHERBRIDGE_SECRET_KEY" in output
    assert "ConnectError" in _row(output, "platform meituan")
    assert "✓ ok" in _row(output, "platform weimall")
    assert "✓ ok" in _row(output, "database")


def test_doctor_wants_a_metrics_token_in_production(database_url: str, platform_url: str):
    code, output = _doctor(database_url, platform_url, VOUCHERBRIDGE_ENVIRONMENT="production")
    assert code == 1, output
    assert "✗ 失败 failed" in _row(output, "metrics")
    assert "VOUCHERBRIDGE_METRICS_TOKEN" in output
    code, output = _doctor(
        database_url,
        platform_url,
        VOUCHERBRIDGE_ENVIRONMENT="production",
        VOUCHERBRIDGE_METRICS_TOKEN="scrape-" + "x" * 24,
    )
    assert "✓ ok" in _row(output, "metrics"), output
    assert code == 0, output


def test_doctor_says_when_the_database_does_not_answer(platform_url: str):
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres"
    code, output = _doctor(closed, platform_url)
    assert code == 1, output
    assert "✗ 失败 failed" in _row(output, "database")
    assert "OperationalError" in output
