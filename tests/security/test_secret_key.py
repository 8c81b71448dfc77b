"""The secret key that seals platform secrets (and keys the CSRF and sign-in HMACs) is never the
published default in production, and the demo makes a key of its own per install.

In production `serve`, `worker` and `migrate` refuse a missing, default or short key with a
message in Chinese and English and exit code 2, touching nothing; a real key starts them, on
both databases. `voucherbridge demo` keeps its random key in a file beside its database
(owner-only), reuses it on the next run and for `seed-demo`, and never prints it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.helpers import wait_until
from tests.pgserver import free_port
from voucherbridge.config import DEV_SECRET
from voucherbridge.core import csrf
from voucherbridge.core.crypto import SecretBox, read_or_create_key

REAL_KEY = "k3J9-oQv_x7yT2bWc8LmN4pR6sU1vZ0aE5dF"
REFUSAL_ZH = "必须把 VOUCHERBRIDGE_SECRET_KEY 设为至少 32 个字符的随机值"
REFUSAL_EN = "VOUCHERBRIDGE_SECRET_KEY must be set to a random value of at least 32 characters"
# Douyin bindings carry none: its one app is authorized by the merchant.
DEMO_SECRETS = {"wm-secret-1", "mt-demo-session"}


def _env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOUCHERBRIDGE_")}
    env |= {"VOUCHERBRIDGE_DATABASE_URL": database_url, "VOUCHERBRIDGE_LOG_LEVEL": "WARNING"}
    env |= {f"VOUCHERBRIDGE_{name.upper()}": value for name, value in settings.items()}
    return env | {"PYTHONUTF8": "1"}


def _cli(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voucherbridge.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "key"),
    [
        pytest.param(["migrate"], None, id="migrate-without-a-key"),
        pytest.param(["serve", "--port", "1"], None, id="serve-without-a-key"),
        pytest.param(["worker", "--once"], None, id="worker-without-a-key"),
        pytest.param(["migrate"], DEV_SECRET, id="migrate-with-the-published-default"),
        pytest.param(["serve", "--port", "1"], DEV_SECRET, id="serve-with-the-published-default"),
        pytest.param(["worker", "--once"], "x" * 31, id="worker-with-a-short-key"),
        pytest.param(["migrate"], "", id="migrate-with-an-empty-key"),
    ],
)
def test_production_refuses_to_start_on_a_weak_key(
    tmp_path: Path, command: list[str], key: str | None
) -> None:
    db = tmp_path / "vb.db"
    settings = {"environment": "production"} | ({} if key is None else {"secret_key": key})
    refused = _cli(*command, env=_env(f"sqlite:///{db}", **settings))
    assert refused.returncode == 2, refused.stderr
    assert REFUSAL_ZH in refused.stderr
    assert REFUSAL_EN in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert not db.exists()  # refused before anything was opened


def test_production_starts_with_a_real_key(database_url: str) -> None:
    env = _env(database_url, environment="production", secret_key=REAL_KEY)
    migrated = _cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated:" in migrated.stdout
    delivered = _cli("worker", "--once", env=env)
    assert delivered.returncode == 0, delivered.stderr
    assert "delivered=" in delivered.stdout
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voucherbridge.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(
            lambda: _healthy(port, server), timeout_s=120, interval_s=0.3, message="no serve"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def _healthy(port: int, server: subprocess.Popen[bytes]) -> bool:
    assert server.poll() is None, server.stderr.read() if server.stderr else ""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _run_demo(tmp_path: Path, env: dict[str, str]) -> str:
    """One `voucherbridge demo` (no simulators): wait until it serves, prove the server seals
    and signs with the key file's key, stop it; returns everything it printed."""
    port = free_port()
    log = tmp_path / f"demo-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "voucherbridge.cli.main", "demo", "--no-simulators"],
            env=env | {"VOUCHERBRIDGE_PORT": str(port)},
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def serving() -> bool:
            # The demo prints its instructions, then "就绪 ready", once the server answers.
            assert process.poll() is None, log.read_text()
            return "就绪 ready" in log.read_text()

        wait_until(serving, timeout_s=120, interval_s=0.3, message="the demo did not start")
        till_key = re.search(r"收银终端密钥 \(皇岗店\): (\S+)", log.read_text())
        assert till_key, log.read_text()
        key = (tmp_path / "demo.db.secret-key").read_text().strip()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            browser.post("/cashier/login", data={"key": till_key.group(1)})
            page = browser.get("/cashier").text
            token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
            assert token, page
            cookie = browser.cookies[csrf.CASHIER_COOKIE]
        assert token.group(1) == csrf.token_for(key, cookie)  # the server signs with it
    finally:
        process.terminate()
        process.wait(timeout=20)
    return log.read_text()


def _sealed_secrets(db: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT secret_encrypted FROM bindings"))
        sealed = [row[0] for row in rows if row[0]]
    engine.dispose()
    return sealed


def test_the_demo_keeps_its_own_key_beside_its_database_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    env = _env(f"sqlite:///{db}")
    first_output = _run_demo(tmp_path, env)
    key_file = tmp_path / "demo.db.secret-key"
    key = key_file.read_text().strip()
    assert len(key) >= 32
    assert key != DEV_SECRET
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    second_output = _run_demo(tmp_path, env)
    reseeded = _cli("seed-demo", "--json", env=env, cwd=tmp_path)
    assert reseeded.returncode == 0, reseeded.stderr
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for printed in (first_output, second_output, reseeded.stdout + reseeded.stderr):
        assert key not in printed

    # The platform secrets sealed on the first run still open, with this key and no other.
    sealed = _sealed_secrets(db)
    assert sealed
    assert {SecretBox(key).open(s) for s in sealed} == DEMO_SECRETS
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(DEV_SECRET).open(sealed[0])


def test_a_key_the_operator_sets_wins_and_no_file_is_made(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    seeded = _cli("seed-demo", "--json", env=_env(f"sqlite:///{db}", secret_key=REAL_KEY))
    assert seeded.returncode == 0, seeded.stderr
    assert not (tmp_path / "demo.db.secret-key").exists()
    assert {SecretBox(REAL_KEY).open(s) for s in _sealed_secrets(db)} == DEMO_SECRETS


def test_processes_starting_together_share_one_key_and_loose_rights_are_closed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vb.db.secret-key"
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(read_or_create_key(path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert len(keys) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vb.db.secret-key"]  # no scratch left
    path.chmod(0o644)
    assert read_or_create_key(path) == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
