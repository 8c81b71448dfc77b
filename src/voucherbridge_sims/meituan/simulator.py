"""Meituan / Dianping group-buy simulator: a real HTTP server of the platform on loopback.

It serves the legacy 北极星 open API of PROTOCOLS.md §2 (``/router/oauth/token``,
``/router/oauth/session/scope`` and the six ``/router/tuangou/receipt/*`` calls) with its
common params, MD5 sign and ``{"code","msg","data"}`` envelope, keeps its own state (shops,
merchant sessions, receipt groups, consumes, statements) and offers test hooks under ``/_sim/``
(`sim_hooks` and the shared ones of `simkit`). Envelope codes: see `sim_state`.

Meituan never calls us (no webhook, no SPI), so this simulator pushes nothing.

On start and after ``/_sim/reset``: app ``mt-demo-key``/``mt-demo-secret`` and the merchant
session ``mt-demo-session`` covering shops ``mt-shop-1``..``mt-shop-3``.

Its page (``GET /``) shows what the platform sees and lets a person buy, refund and take the
platform down; ``/_sim/meituan/products`` holds what it sells; ``--state-file`` keeps its state
across restarts (see `simkit.page`, `simkit.products`, `simkit.persist`).

Run it with ``voucherbridge simulate meituan --port 18082`` (see `main`).
"""

from __future__ import annotations

from fastapi import FastAPI

from voucherbridge_sims.meituan import authorize as sim_authorize
from voucherbridge_sims.meituan import hooks as sim_hooks
from voucherbridge_sims.meituan import oauth as sim_oauth
from voucherbridge_sims.meituan import page as sim_page
from voucherbridge_sims.meituan import receipts as sim_receipts
from voucherbridge_sims.meituan import statement_status as sim_statement_status
from voucherbridge_sims.meituan.state import SERVER_ERROR, MeituanSimConfig, SimState, envelope
from voucherbridge_sims.simkit.app import env_config, serve, simulator_app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.simkit.state import Fault, JsonDict

__all__ = ["MeituanSimConfig", "ServerThread", "config_from_env", "create_app", "main"]


def create_app(config: MeituanSimConfig | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``."""
    sim = SimState(config or MeituanSimConfig())

    def biz_error(fault: Fault) -> tuple[int, JsonDict]:
        return 200, envelope(fault.biz_code)

    return simulator_app(
        sim,
        platform="meituan",
        title="Meituan / Dianping group-buy simulator (VoucherBridge)",
        description="Loopback imitation of openapi.dianping.com receipt APIs, with /_sim/ hooks.",
        routers=[
            sim_oauth.router,
            sim_authorize.router,
            sim_receipts.router,
            sim_statement_status.router,
            sim_hooks.router,
            sim_page.router,
        ],
        busy_code=SERVER_ERROR,
        biz_error=biz_error,
        page=sim_page.PAGE,
    )


def config_from_env(env: dict[str, str] | None = None) -> MeituanSimConfig:
    """MEITUAN_APP_KEY, MEITUAN_APP_SECRET, SIM_TARGET_BASE_URL, SIM_STATE_FILE,
    SIM_TIME_SCALE."""
    return env_config(
        MeituanSimConfig, env, app_key="MEITUAN_APP_KEY", app_secret="MEITUAN_APP_SECRET"
    )


def main(host: str = "127.0.0.1", port: int = 18082, state_file: str | None = None) -> None:
    """Serve the simulator with uvicorn until interrupted (`state_file` over SIM_STATE_FILE)."""
    config = config_from_env()
    if state_file:
        config.state_file = state_file
    serve(create_app(config), host, port)
