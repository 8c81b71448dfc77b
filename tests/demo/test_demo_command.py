"""`./vb demo`: the newcomer's first command serves the API, the console, the cashier page, the
three platform simulators and an outbox worker, and prints where to go and what to type."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import wait_until


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[tuple[dict[str, int], Path]]:
    ports = {name: _free_port() for name in ("api", "douyin", "meituan", "weimall")}
    env = {
        **os.environ,
        "VOUCHERBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db",
        "VOUCHERBRIDGE_PORT": str(ports["api"]),
        **{
            f"VOUCHERBRIDGE_{name.upper()}_BASE_URL": f"http://127.0.0.1:{ports[name]}"
            for name in ("douyin", "meituan", "weimall")
        },
    }
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "voucherbridge.cli.main", "demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:

        def serving() -> bool:
            try:
                httpx.get(f"http://127.0.0.1:{ports['api']}/healthz", timeout=2)
                return True
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                return False

        wait_until(serving, timeout_s=120, interval_s=0.3, message="the demo did not start")
        yield ports, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_demo_serves_everything_a_newcomer_is_told_about(
    running_demo: tuple[dict[str, int], Path],
) -> None:
    ports, log = running_demo
    banner = log.read_text()
    base = f"http://127.0.0.1:{ports['api']}"
    assert f"{base}/console" in banner
    assert f"{base}/cashier" in banner
    assert "admin / 密码 admin123" in banner
    for path in ("/console/login", "/cashier/login", "/docs"):
        assert httpx.get(base + path).status_code == 200, path
    for name in ("douyin", "meituan", "weimall"):
        assert f"127.0.0.1:{ports[name]} 模拟器已启动" in banner
        state = httpx.get(f"http://127.0.0.1:{ports[name]}/_sim/state")
        assert state.status_code == 200, name
    assert "worker.started" in log.read_text()
