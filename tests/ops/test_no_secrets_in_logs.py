"""Secrets never reach the logs: a real `voucherbridge serve` process at DEBUG, JSON logs, its
whole output (our events, uvicorn's access log, tracebacks) read back after logins, terminal
calls, a platform binding with a secret, wrong keys and wrong passwords.

A real process rather than in-process capture: structlog caches loggers on first use, so only
the process's own stdout shows everything a log shipper would see. SQLite only: what is logged
does not depend on the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.procs import apis, seed
from voucherbridge.demo.seed import DEMO_BINDINGS
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

ADMIN = "/api/admin/v1"
WRONG_PASSWORD = "Wr0ng-Passw0rd-7731"
WRONG_KEY = "vbt_" + "q" * 43
PLATFORM_SECRET = DEMO_BINDINGS["weimall"][1]
REJECTED_SECRET = "not-the-mall-secret-5521"


@pytest.fixture
def weimall_server() -> Iterator[ServerThread]:
    with ServerThread(weimall_app(WeimallSimConfig(time_scale=0.001))) as server:
        yield server


def test_passwords_keys_tokens_and_platform_secrets_are_never_logged(
    sqlite_template: Path, tmp_path: Path, weimall_server: ServerThread
):
    database = tmp_path / "vb.db"
    database.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{database}"
    demo = seed(url)
    console = demo["console"]
    env = {
        "VOUCHERBRIDGE_LOG_LEVEL": "DEBUG",
        "VOUCHERBRIDGE_LOG_JSON": "true",
        "VOUCHERBRIDGE_WEIMALL_BASE_URL": weimall_server.base_url,
    }
    secrets: list[str] = [console["password"], demo["terminal_key"], PLATFORM_SECRET]
    secrets += [WRONG_PASSWORD, WRONG_KEY, REJECTED_SECRET]
    with apis(url, tmp_path, 1, **env) as [api], httpx.Client(base_url=api.base_url) as http:
        wrong = {"username": console["user"], "password": WRONG_PASSWORD}
        assert http.post(f"{ADMIN}/login", json=wrong).status_code == 401
        login = {"username": console["user"], "password": console["password"]}
        token = http.post(f"{ADMIN}/login", json=login).json()["token"]
        secrets.append(token)
        admin = {"Authorization": f"Bearer {token}"}
        till = {"Authorization": f"Bearer {demo['terminal_key']}"}
        assert http.get(f"{ADMIN}/me", headers=admin).status_code == 200
        stores: list[dict[str, Any]] = http.get(f"{ADMIN}/stores", headers=admin).json()
        for secret in (REJECTED_SECRET, PLATFORM_SECRET):
            http.post(
                f"{ADMIN}/bindings",
                json={
                    "store_id": stores[-1]["id"],
                    "platform": "weimall",
                    "platform_store_id": "wm-store-2",
                    "secret": secret,
                },
                headers=admin,
                timeout=60,
            )
        line = {"item_code": "BEER01", "name": "啤酒", "quantity": 1, "unit_price_fen": 1800}
        order = http.post("/api/v1/orders", json={"lines": [line]}, headers=till).json()
        redeemed = http.post(
            "/api/v1/redemptions",
            json={"code": demo["codes"]["cash"][0], "order_id": order["id"]},
            headers=till,
            timeout=60,
        )
        assert redeemed.status_code == 201, redeemed.text
        wrong_till = {"Authorization": f"Bearer {WRONG_KEY}"}
        assert http.get(f"/api/v1/orders/{order['id']}", headers=wrong_till).status_code == 401
        assert http.get(f"{ADMIN}/me", headers=till).status_code == 401
    log = (tmp_path / "api-0.log").read_text(errors="replace")
    # the calls above were really logged (the rejected binding, the redemption, the refusals)
    for event in ("binding_rejected", "voucher.redeem.succeeded", '"code": "unauthorized"'):
        assert event in log
    for secret in secrets:
        assert secret not in log, secret[:6]
