"""What the state-file, product and page tests of the simulators share: a simulator run as its own
process (as `./vb demo` runs it), and small stand-ins for our service that the simulators push
to over loopback HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from tests.helpers import wait_until
from tests.pgserver import free_port
from voucherbridge.platforms.weimall.signing import open_envelope
from voucherbridge_sims.simkit.server import ServerThread

WEIMALL_STORE, WEIMALL_SECRET = "wm-store-1", "wm-secret-1"  # the simulator's default store


class SimProcess:
    """``python -m voucherbridge_sims NAME --host 127.0.0.1 --port P [--state-file F]``."""

    def __init__(
        self, name: str, state_file: Path | None, log: Path, port: int | None, env: dict[str, str]
    ) -> None:
        self.name, self.state_file, self.log, self.env = name, state_file, log, env
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SimProcess:
        args = [sys.executable, "-m", "voucherbridge_sims", self.name]
        args += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.state_file is not None:
            args += ["--state-file", str(self.state_file)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                args,
                env={**os.environ, "PYTHONUTF8": "1", **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text(errors='replace')}")
            try:
                return httpx.get(self.base_url + "/_sim/clock", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout_s=60, interval_s=0.1, message=f"{self.name} did not start")
        return self

    def stop(self) -> bool:
        """SIGTERM, as a demo being stopped sends; True when it shut down on its own (uvicorn
        runs the app's shutdown, then re-raises the signal: status 0 or -SIGTERM)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return status in (0, -signal.SIGTERM) and "Application shutdown complete" in (
            self.log.read_text(errors="replace")
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10)


@contextmanager
def sim_process(
    name: str, state_file: Path | None, log: Path, port: int | None = None, **env: str
) -> Iterator[SimProcess]:
    """A running simulator process (on `port`, else a free one), stopped at the end."""
    process = SimProcess(name, state_file, log, port, env).start()
    try:
        yield process
    finally:
        if process.proc is not None and process.proc.poll() is None:
            process.stop()


class Receiver:
    """Our service's hooks as the simulators see them: records every call; the weimall hook
    answers a purchase with codes, a refund by voiding them; the Douyin issue SPI answers with
    merchant codes. ``fail_next`` answers that many calls "busy"."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.fail_next = 0
        self.issued: dict[str, list[str]] = {}  # weimall order_no -> the codes we answered

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["kind"] == kind]

    def _take(self, kind: str, body: Any) -> bool:
        """Record the call; True when it must fail."""
        with self.lock:
            self.calls.append({"kind": kind, "body": body, "t": time.monotonic()})
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False


def receiver_app(rx: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/hooks/weimall")
    async def weimall(request: Request) -> Any:
        raw = await request.body()
        secret = {WEIMALL_STORE: WEIMALL_SECRET}.get
        _, type_, payload, _ = open_envelope(raw, secret, int(time.time()), 10**9)
        if rx._take(type_, payload):
            return {"code": 50000, "msg": "busy", "data": {}}
        order_no = str(payload.get("order_no"))
        if type_ == "VOUCHER_PURCHASED":
            codes = [f"J{order_no[-6:]}{n:02d}" for n in range(payload["quantity"])]
            rx.issued[order_no] = codes
            return {"code": 0, "msg": "success", "data": {"codes": codes}}
        if type_ == "VOUCHER_REFUNDED":
            voided = payload.get("codes") or rx.issued.get(order_no, [])
            return {"code": 0, "msg": "success", "data": {"voided": voided}}
        return {"code": 0, "msg": "success", "data": {}}

    @app.post("/hooks/douyin/spi/issue")
    async def issue(request: Request) -> Any:
        body = json.loads(await request.body())
        if rx._take("issue", body):
            return {"data": {"error_code": 2100005, "description": "busy"}}
        certificates = [
            {"certificate_id": f"C{body['order_id']}-{n}", "code": f"D{body['order_id'][-8:]}{n}"}
            for n in range(body["count"])
        ]
        data = {"error_code": 0, "description": "success", "result": 1}
        return {"data": {**data, "certificates": certificates}}

    @app.post("/hooks/douyin/webhook")
    async def webhook(request: Request) -> Any:
        rx._take("webhook", json.loads(await request.body()))
        return {"ok": True}

    return app


@contextmanager
def receiver() -> Iterator[tuple[Receiver, str]]:
    rx = Receiver()
    with ServerThread(receiver_app(rx)) as server:
        yield rx, server.base_url


def serve_pushed_to(app: Any, *simulators: ServerThread) -> Iterator[str]:
    """Our service on a real loopback port, each simulator pushing to it (purchases, SPI
    calls, payment notifies) while it runs; its base URL. For a `live` fixture to yield from."""
    sims = [s.server.config.app.state.sim for s in simulators]
    with ServerThread(app) as server:
        for sim in sims:
            sim.config.target_base_url = server.base_url
        yield server.base_url
    for sim in sims:
        sim.config.target_base_url = None
