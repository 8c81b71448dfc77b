"""Micro-mall (微商城) simulator: a real HTTP server of the mall on loopback.

It serves the mall's open API of PROTOCOLS.md §4 (``/open/v1/ping``, ``vouchers/redeemed``,
``vouchers/reversed``, ``settlements/query``) with the signed envelope of `signing`, keeps its own
state (stores, orders, codes, uses, statements), pushes purchases, refunds and probes to our
``/hooks/weimall`` the way the mall does (signed, resent on its 1 m … 6 h schedule), and offers
test hooks under ``/_sim/`` (see `sim_hooks` and the shared ones of `simkit`).

Replay protection [M, our addition to the contract]: every msg carries ``timestamp`` (epoch
seconds); a receiver refuses one more than 300 s from its now (code 40001, "timestamp out of
tolerance") and remembers ``msg_id`` — the simulator answers a resent msg_id with its first answer.

Its page (``GET /``) shows what the platform sees and lets a person buy, refund and take the
platform down; ``/_sim/weimall/products`` holds what it sells; ``--state-file`` keeps its state
across restarts (see `simkit.page`, `simkit.products`, `simkit.persist`).

Run it with ``voucherbridge simulate weimall --port 18084`` (see `main`).
"""

from __future__ import annotations

from fastapi import FastAPI

from voucherbridge_sims.simkit.app import env_config, serve, simulator_app
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.simkit.state import Fault, JsonDict
from voucherbridge_sims.weimall import hooks as sim_hooks
from voucherbridge_sims.weimall import open as sim_open
from voucherbridge_sims.weimall import page as sim_page
from voucherbridge_sims.weimall import statement_status as sim_statement_status
from voucherbridge_sims.weimall.state import BUSY, MESSAGES, SimState, WeimallSimConfig, reply

__all__ = ["ServerThread", "WeimallSimConfig", "config_from_env", "create_app", "main"]


def create_app(config: WeimallSimConfig | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``."""
    sim = SimState(config or WeimallSimConfig())

    def biz_error(fault: Fault) -> tuple[int, JsonDict]:
        return 200, reply(fault.biz_code, msg=MESSAGES.get(fault.biz_code, "error"))

    return simulator_app(
        sim,
        platform="weimall",
        title="Micro-mall simulator (VoucherBridge)",
        description="Loopback imitation of the micro-mall open API and pushes, with /_sim/ hooks.",
        routers=[sim_open.router, sim_statement_status.router, sim_hooks.router, sim_page.router],
        busy_code=BUSY,
        biz_error=biz_error,
        page=sim_page.PAGE,
    )


def config_from_env(env: dict[str, str] | None = None) -> WeimallSimConfig:
    """WEIMALL_STORE_ID, WEIMALL_STORE_SECRET, SIM_TARGET_BASE_URL, SIM_STATE_FILE,
    SIM_TIME_SCALE."""
    return env_config(
        WeimallSimConfig, env, store_id="WEIMALL_STORE_ID", store_secret="WEIMALL_STORE_SECRET"
    )


def main(host: str = "127.0.0.1", port: int = 18084, state_file: str | None = None) -> None:
    """Serve the simulator with uvicorn until interrupted (`state_file` over SIM_STATE_FILE)."""
    config = config_from_env()
    if state_file:
        config.state_file = state_file
    serve(create_app(config), host, port)
