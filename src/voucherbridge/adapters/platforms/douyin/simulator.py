"""Douyin Open Platform simulator: a real HTTP server of the platform on loopback.

It serves the real paths and envelopes of PROTOCOLS.md §1 (OAuth client tokens, certificate
prepare/verify/cancel/get/query, merchant-code use sync, issue/refund callbacks, statements,
POI query, short links), keeps its own state (orders, codes, verifications, statements), calls
our service's SPI and webhook endpoints the way Douyin does (signed, 8 s timeout, Douyin's retry
schedule), and offers test hooks under ``/_sim/``. Error codes: see ``sim_wire``.

Run it with ``voucherbridge simulate douyin --port 18081`` (see `main`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI

from voucherbridge.adapters.platforms.douyin import sim_certs, sim_hooks, sim_openapi
from voucherbridge.adapters.platforms.douyin.sim_middleware import SimMiddleware
from voucherbridge.adapters.platforms.douyin.sim_state import DouyinSimConfig, SimState

__all__ = ["DouyinSimConfig", "ServerThread", "config_from_env", "create_app", "main"]


def create_app(config: DouyinSimConfig | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``."""
    sim = SimState(config or DouyinSimConfig())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        sim.shutdown()

    app = FastAPI(
        title="Douyin Open Platform simulator (VoucherBridge)",
        description="Loopback imitation of open.douyin.com life-service APIs, with /_sim/ hooks.",
        lifespan=lifespan,
    )
    app.state.sim = sim
    app.include_router(sim_openapi.router)
    app.include_router(sim_certs.router)
    app.include_router(sim_hooks.router)
    app.add_middleware(SimMiddleware, sim=sim)
    return app


def config_from_env(env: dict[str, str] | None = None) -> DouyinSimConfig:
    """DOUYIN_CLIENT_KEY, DOUYIN_CLIENT_SECRET, SIM_TARGET_BASE_URL, SIM_TIME_SCALE."""
    env = dict(os.environ) if env is None else env
    return DouyinSimConfig(
        client_key=env.get("DOUYIN_CLIENT_KEY") or "vb-demo-key",
        client_secret=env.get("DOUYIN_CLIENT_SECRET") or "vb-demo-secret",
        target_base_url=env.get("SIM_TARGET_BASE_URL") or None,
        time_scale=float(env.get("SIM_TIME_SCALE") or 1.0),
    )


def main(host: str = "127.0.0.1", port: int = 18081) -> None:
    """Serve the simulator with uvicorn until interrupted."""
    uvicorn.run(create_app(config_from_env()), host=host, port=port, log_level="info")


class ServerThread:
    """Serve an ASGI app with uvicorn in a daemon thread (tests, demos). Port 0 = any free."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = host, int(self.sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", timeout_graceful_shutdown=1, access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
