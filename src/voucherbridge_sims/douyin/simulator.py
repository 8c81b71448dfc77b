"""Douyin Open Platform simulator: a real HTTP server of the platform on loopback.

It serves the real paths and envelopes of PROTOCOLS.md §1 (OAuth client tokens, certificate
prepare/verify/cancel/get/query, merchant-code use sync, issue/refund callbacks, statements,
POI query, short links), keeps its own state (orders, codes, verifications, statements), calls
our service's SPI and webhook endpoints the way Douyin does (signed, 8 s timeout, Douyin's retry
schedule), and offers test hooks under ``/_sim/``. Error codes: see ``sim_wire``.

Its page (``GET /``) shows what the platform sees and lets a person buy, refund and take the
platform down; ``/_sim/douyin/products`` holds what it sells; ``--state-file`` keeps its state
across restarts (see `simkit.page`, `simkit.products`, `simkit.persist`).

Run it with ``voucherbridge simulate douyin --port 18081`` (see `main`).
"""

from __future__ import annotations

from fastapi import FastAPI

from voucherbridge_sims.douyin import authorization as sim_authorization
from voucherbridge_sims.douyin import callbacks as sim_callbacks
from voucherbridge_sims.douyin import certs as sim_certs
from voucherbridge_sims.douyin import certs_after as sim_certs_after
from voucherbridge_sims.douyin import hooks as sim_hooks
from voucherbridge_sims.douyin import oauth as sim_oauth
from voucherbridge_sims.douyin import page as sim_page
from voucherbridge_sims.douyin import poi_links as sim_poi_links
from voucherbridge_sims.douyin import statement_status as sim_statement_status
from voucherbridge_sims.douyin import statements as sim_statements
from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.douyin.state import DouyinSimConfig, SimState
from voucherbridge_sims.simkit.app import env_config, serve, simulator_app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.simkit.state import Fault, JsonDict

__all__ = ["DouyinSimConfig", "ServerThread", "config_from_env", "create_app", "main"]


def create_app(config: DouyinSimConfig | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``."""
    sim = SimState(config or DouyinSimConfig())

    def biz_error(fault: Fault) -> tuple[int, JsonDict]:
        message = w.MESSAGES.get(fault.biz_code, "error")
        if fault.biz_code == w.GENERIC:
            # The one 3000001 body on record: a cancel refused for its time limit, which Douyin
            # has answered well inside the documented hour.
            sub = (w.CANCEL_TOO_LATE_SUB, w.CANCEL_TOO_LATE_MSG)
            return 200, w.envelope(sim, {}, w.GENERIC, message, *sub)
        return 200, w.envelope(sim, {}, fault.biz_code, message)

    return simulator_app(
        sim,
        platform="douyin",
        title="Douyin Open Platform simulator (VoucherBridge)",
        description="Loopback imitation of open.douyin.com life-service APIs, with /_sim/ hooks.",
        routers=[
            sim_oauth.router,
            sim_callbacks.router,
            sim_statements.router,
            sim_statement_status.router,
            sim_poi_links.router,
            sim_certs.router,
            sim_certs_after.router,
            sim_hooks.router,
            sim_authorization.router,
            sim_page.router,
        ],
        busy_code=w.SERVER_BUSY,
        biz_error=biz_error,
        page=sim_page.PAGE,
    )


def config_from_env(env: dict[str, str] | None = None) -> DouyinSimConfig:
    """DOUYIN_CLIENT_KEY, DOUYIN_CLIENT_SECRET, SIM_TARGET_BASE_URL, SIM_STATE_FILE,
    SIM_TIME_SCALE."""
    return env_config(
        DouyinSimConfig, env, client_key="DOUYIN_CLIENT_KEY", client_secret="DOUYIN_CLIENT_SECRET"
    )


def main(host: str = "127.0.0.1", port: int = 18081, state_file: str | None = None) -> None:
    """Serve the simulator with uvicorn until interrupted (`state_file` over SIM_STATE_FILE)."""
    config = config_from_env()
    if state_file:
        config.state_file = state_file
    serve(create_app(config), host, port)
