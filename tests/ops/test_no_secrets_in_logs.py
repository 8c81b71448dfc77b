"""Secrets never reach the logs.

First a real `voucherbridge serve` process at DEBUG, JSON logs, its whole output (our events,
uvicorn's log, tracebacks) read back after logins, terminal calls, a platform binding with a
secret, wrong keys and wrong passwords. SQLite only: what is logged does not depend on the
backend.

Then crashes, on both databases and in both log formats (the default text and JSON): the app
served by uvicorn in this process, a repository method of ours made to raise (the crash is
injected; the database is real), with a till's key, a console token, a cashier's cookie and CSRF
token, passwords and a platform secret in play. Everything written to stdout and stderr and to
the logging handlers (caplog, a handler of our own on the root logger and on uvicorn's) is
searched: no secret and no full voucher code, while the masked code is there. Last, the
worker's "delivery failed for good" line for a code the platform does not know.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from tests.factories import FakeClock
from tests.helpers import admin_headers, bearer, open_order, redeem
from tests.procs import apis, seed
from voucherbridge.app import create_app
from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core import csrf, logs
from voucherbridge.core.actor import Actor
from voucherbridge.core.logs import configure_logging
from voucherbridge.counter.scan_repository import ScanRepo
from voucherbridge.demo.seed import DEMO_BINDINGS
from voucherbridge.domain.codes import mask_code
from voucherbridge.outbox.service import list_outbox
from voucherbridge.platforms.repository import BindingRepo
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


# ---- crashes in this process, both databases, both log formats ----------------------------------
HQ = Actor(1, 1, "admin", "hq_admin", None)
SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]


class Collected(logging.Handler):
    """Every record a handler is given, formatted as a plain handler would (traceback too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Logs:
    """What the process wrote: stdout, stderr, caplog and our handlers, read back at any time."""

    def __init__(self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture):
        self.capsys, self.caplog = capsys, caplog
        self.out: list[str] = []
        self.err: list[str] = []
        self.handler = Collected()
        self.listening: list[logging.Logger] = []

    def listen(self, name: str) -> None:
        """Also collect the records of `name` (uvicorn's loggers do not reach the root)."""
        logger = logging.getLogger(name)
        logger.addHandler(self.handler)
        self.listening.append(logger)

    def text(self) -> str:
        out, err = self.capsys.readouterr()
        self.out.append(out)
        self.err.append(err)
        return "\n".join([*self.out, *self.err, self.caplog.text, *self.handler.lines])

    def assert_clean(self, secrets: dict[str, str], codes: list[str]) -> str:
        everything = self.text()
        for what, secret in secrets.items():
            assert secret not in everything, f"{what} ({secret[:6]}…) is in the log"
        for code in codes:
            assert code not in everything, f"voucher code {mask_code(code)} is in the log in full"
        return everything


@pytest.fixture(params=[False, True], ids=["text-logs", "json-logs"])
def logged(
    request: pytest.FixtureRequest,
    container: Container,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Logs]:
    """The container's settings at DEBUG in the format asked for, logging configured from them
    (as `create_app` and `voucherbridge worker` do); the test process's defaults afterwards."""
    before = container.settings
    container.settings = before.model_copy(update={"log_json": request.param, "log_level": "DEBUG"})
    configure_logging(container.settings)
    caplog.set_level(logging.DEBUG)
    collected = Logs(capsys, caplog)
    collected.listen("")
    try:
        yield collected
    finally:
        for logger in collected.listening:
            logger.removeHandler(collected.handler)
        container.settings = before
        configure_logging(before)


def _crash_on(monkeypatch: pytest.MonkeyPatch, owner: type, method: str) -> list[Exception]:
    """Make `owner.method` (our repository's) raise the next exception put in the list."""
    pending: list[Exception] = []

    def crash(*_: Any, **__: Any) -> Any:
        raise pending.pop(0)

    monkeypatch.setattr(owner, method, crash)
    return pending


def test_a_crash_logs_neither_secrets_nor_voucher_codes(
    container: Container, demo: dict[str, Any], logged: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_key = container.settings.secret_key
    code_crashes = _crash_on(monkeypatch, ScanRepo, "scan")  # the redeem's one read of the code
    binding_crashes = _crash_on(monkeypatch, BindingRepo, "by_platform_store")
    full_codes = [demo["codes"]["cash"][0], demo["codes"]["cash"][1]]
    app = create_app(container=container)
    # uvicorn drops the connection of a request that crashed: one connection per request
    one_each = httpx.Limits(max_keepalive_connections=0)
    with (
        ServerThread(app) as server,
        httpx.Client(base_url=server.base_url, timeout=60, limits=one_each) as http,
    ):
        logged.listen("uvicorn")
        logged.listen("uvicorn.error")
        till = bearer(demo["terminal_key"])
        console = admin_headers(http, demo["console"]["user"], demo["console"]["password"])
        manager = demo["store_manager"]
        signed_in = http.post(
            "/cashier/login", data={"username": manager["user"], "password": manager["password"]}
        )
        assert signed_in.status_code == 303, signed_in.text
        cashier_key = signed_in.cookies["vb_cashier"]
        cashier = {"X-CSRF-Token": csrf.token_for(secret_key, cashier_key)}
        http.cookies.set("vb_cashier", cashier_key)

        # 1. a till's redemption: the database driver fails, its error echoes the parameters
        order = open_order(http, till, SOUP)
        code_crashes.append(
            DBAPIError(
                "SELECT * FROM codes WHERE merchant_id = ? AND code = ?",
                (1, full_codes[0]),
                Exception("disk I/O error"),
            )
        )
        crashed = redeem(http, till, full_codes[0], order["id"])
        assert crashed.status_code == 500
        assert crashed.json()["error"]["code"] == "internal_error"

        # 2. the cashier page's call (cookie + CSRF header): a bug whose message carries them
        order = open_order(http, cashier, SOUP)
        code_crashes.append(
            RuntimeError(
                f"cannot handle {{'cookie': 'vb_cashier={cashier_key}', "
                f"'x-csrf-token': '{cashier['X-CSRF-Token']}', "
                f"'authorization': 'Bearer {demo['terminal_key']}', 'code': '{full_codes[1]}'}}"
            )
        )
        crashed = redeem(http, cashier, full_codes[1], order["id"])
        assert crashed.status_code == 500
        assert crashed.json()["error"]["message"] == "系统内部错误,请联系管理员"

        # 3. a console binding with a platform secret: a plain crash, the secret in the locals
        binding_crashes.append(RuntimeError("lost the binding table"))
        stores = http.get("/api/admin/v1/stores", headers=console).json()
        crashed = http.post(
            "/api/admin/v1/bindings",
            json={
                "store_id": stores[-1]["id"],
                "platform": "weimall",
                "platform_store_id": "wm-store-2",
                "secret": PLATFORM_SECRET,
            },
            headers=console,
        )
        assert crashed.status_code == 500
    secrets = {
        "till key": demo["terminal_key"],
        "console token": console["Authorization"].removeprefix("Bearer "),
        "console password": demo["console"]["password"],
        "manager password": manager["password"],
        "cashier cookie": cashier_key,
        "CSRF token": cashier["X-CSRF-Token"],
        "platform secret": PLATFORM_SECRET,
        "settings secret key": secret_key,
    }
    everything = logged.assert_clean(secrets, full_codes)
    # the crashes were really logged, traceback and all, the codes masked
    for seen in ("request.crashed", "db.error", "Traceback", "lost the binding table"):
        assert seen in everything
    assert mask_code(full_codes[0]) in everything
    assert mask_code(full_codes[1]) in everything
    assert "Exception in ASGI application" in everything  # uvicorn's own traceback, redacted
    if container.settings.log_json:
        lines = [line for line in "".join(logged.out).splitlines() if line.startswith("{")]
        assert len(lines) >= 3  # the three crashes, at least
        for line in lines:
            json.loads(line)  # the redaction keeps every JSON line JSON


def test_the_workers_delivery_failed_for_good_line_masks_the_code(
    container: Container, demo: dict[str, Any], logged: Logs
) -> None:
    """The mall does not know the code (a fresh simulator): `voucherbridge worker`'s loop marks
    the row dead at once, and the line saying so names the code masked."""
    code = demo["codes"]["cash"][2]
    with ServerThread(weimall_app(WeimallSimConfig(time_scale=0.001))) as mall:
        container.settings = container.settings.model_copy(
            update={"weimall_base_url": mall.base_url}
        )
        container.clock = FakeClock()
        with TestClient(create_app(container=container)) as http:
            till = bearer(demo["terminal_key"])
            order = open_order(http, till, SOUP)
            assert redeem(http, till, code, order["id"]).status_code == 201
        report = container.run_worker(once=True, stop=threading.Event())
    assert (report.dead, report.delivered) == (1, 0)
    (row,) = list_outbox(container.uow, actor=HQ, status="dead").rows
    assert code in (row.last_error or "")  # the outbox page keeps the platform's answer whole
    everything = logged.assert_clean({"platform secret": PLATFORM_SECRET}, [code])
    dead = [line for line in everything.splitlines() if "outbox.dead" in line]
    assert dead
    assert all(mask_code(code) in line for line in dead), dead
    assert "voucher_not_found" in dead[0]


@pytest.mark.parametrize(
    ("written", "logged"),
    [
        # a request's scope as a traceback or a repr shows it
        (
            "[(b'authorization', b'Bearer abc.def'), (b'cookie', b'vb_cashier=x; vb_lang=zh')]",
            "[(b'authorization', b'***'), (b'cookie', b'***')]",
        ),
        ('{"x-csrf-token": "9f86d081884c7d65"}', '{"x-csrf-token": "***"}'),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: ***"),
        ("Credentials(store='wm-1', secret='x-1')", "Credentials(store='wm-1', secret='***')"),
        ("?app_key=k&sign=ab12&access_token=zz&x=1", "?app_key=***&sign=***&access_token=***&x=1"),
        ("postgresql://vb:hunter22@db:5432/vb", "postgresql://vb:***@db:5432/vb"),
        # voucher codes, ours and the platforms', masked as the product shows them
        ("[parameters: (1, 'J12345678901234')]", "[parameters: (1, 'J123*******1234')]"),
        ("meituan 1234567890, douyin 123456789012", "meituan 1234**7890, douyin 1234****9012"),
        ("https://v.douyin.com/AbCdEf12/", "https://v.douyin.com/Ab******/"),
        # what is not a secret stays readable
        ("rdm_0123456789abcdef at 2026-11-23T12:00:00+08:00", None),
        ('{"code": "voucher_not_found", "attempts": 3}', None),
    ],
)
def test_what_the_redaction_hides_and_what_it_keeps(written: str, logged: str | None) -> None:
    assert logs.redact(written) == (written if logged is None else logged)


def test_the_token_shapes_the_log_knows_are_the_ones_handed_out() -> None:
    assert set(logs.OUR_TOKEN_PREFIXES) == {auth.TERMINAL_KEY_PREFIX, auth.ADMIN_TOKEN_PREFIX}
    assert logs.redact(f"Bearer {auth.new_terminal_key()}") == "Bearer ***"
