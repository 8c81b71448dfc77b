"""Real processes for the reliability tests: `voucherbridge serve` / `worker` subprocesses, a
PostgreSQL server the test may stop and start, and the seeded demo merchant over HTTP."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests import helpers
from tests.demo_world import seed_test_world
from tests.helpers import demo_admin_headers, demo_listing, terminal_headers, wait_until
from tests.pgserver import _as_postgres, _wait_ready, find_pg_bin, free_port
from voucherbridge.bootstrap import build
from voucherbridge.config import Settings

SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]
ADMIN = "/api/admin/v1"
STARTUP_S = 180.0  # generous: the shared 2-core test box can be very busy


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VOUCHERBRIDGE_DATABASE_URL": database_url,
        "VOUCHERBRIDGE_ENVIRONMENT": "test",
        "VOUCHERBRIDGE_LOG_LEVEL": "WARNING",
        "PYTHONUTF8": "1",
        **extra,
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "voucherbridge.cli.main", *args]


class Api:
    """One `voucherbridge serve` process on a free loopback port."""

    def __init__(self, database_url: str, log: Path, **env: str) -> None:
        self.database_url, self.log, self.env = database_url, log, env
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = STARTUP_S) -> Api:
        return self.launch().ready(timeout)

    def launch(self) -> Api:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cli("serve", "--port", str(self.port)),
                env=service_env(self.database_url, **self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def ready(self, timeout: float = STARTUP_S) -> Api:
        assert self.proc is not None
        try:
            wait_http(f"{self.base_url}/healthz", self.proc, timeout)
        except RuntimeError as exc:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{exc}; its log ends with:\n{tail}") from exc
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.proc)


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(url, timeout=2).status_code == 200
        return False

    try:
        wait_until(answers, timeout_s=timeout, interval_s=0.1)
    except AssertionError:
        raise RuntimeError(f"{url} did not answer 200 within {timeout} s") from None


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def apis(database_url: str, log_dir: Path, n: int, **env: str) -> Iterator[list[Api]]:
    started = [Api(database_url, log_dir / f"api-{i}.log", **env) for i in range(n)]
    try:
        for api in started:
            api.launch()  # side by side: on a busy box an import alone can take many seconds
        for api in started:
            api.ready()
        yield started
    finally:
        for api in started:
            api.stop()


def seed(database_url: str) -> dict[str, Any]:
    """The demo merchant (migrated database expected); the seed's JSON object."""
    container = build(Settings(database_url=database_url, environment="test"))
    try:
        return seed_test_world(
            container.uow, now=container.clock(), base_url="x", seal=container.secrets.seal
        )
    finally:
        container.engine.dispose()


def issue_cash_codes(base_url: str, demo: dict[str, Any], quantity: int) -> list[str]:
    """A console batch of the demo's 100元代金券 (micro-mall merchant codes)."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        admin = demo_admin_headers(http, demo)
        listing = demo_listing(http, admin, "weimall")
        issued = http.post(
            f"{ADMIN}/listings/{listing['id']}/codes", json={"quantity": quantity}, headers=admin
        )
        assert issued.status_code == 201, issued.text
        return list(issued.json()["codes"])


def open_order(http: httpx.Client, key: str) -> int:
    """A one-soup order at the till whose terminal key is `key`; its id."""
    return int(helpers.open_order(http, terminal_headers(key), SOUP)["id"])


def scalar(conn: Any, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar_one()


class OwnPostgres:
    """A PostgreSQL server of one test, which the test may stop and start (tests.pgserver's
    pieces; the session server is shared, so it must never be stopped)."""

    def __init__(self) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL binaries not found (see tests/pgserver.py)")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="vb-pg-outage-"))
        self.data, self.sockets = self.root / "data", self.root / "sock"
        self.sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            _as_postgres(
                [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres"]
                + ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
            ),
            check=True,
            capture_output=True,
        )

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._ctl("-o", options, "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        _wait_ready(self.port)

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
