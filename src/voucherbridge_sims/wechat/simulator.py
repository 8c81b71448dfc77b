"""WeChat official-account simulator: a real HTTP server of the account's API on loopback.

It serves ``/cgi-bin/token``, ``/cgi-bin/stable_token`` and ``/cgi-bin/message/template/send``
with WeChat's answers (PROTOCOLS.md §3, rules in `state`), the shared ``/_sim/`` hooks of
`simkit` (reset, recorded calls, faults, latency, clock) and its own under ``/_sim/wechat/``
(`hooks`); its page (``GET /`` or ``/_sim/wechat``) shows each follower's inbox. ``--state-file``
keeps its state across restarts. Web-page authorization (OAuth snsapi_base) is in `oauth`;
WeChat Pay v3 JSAPI with its pay sheet and signed notify in `pay_api` and `pay_state`.

Run it with ``voucherbridge simulate wechat --port 18083`` (see `main`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.app import env_config, serve
from voucherbridge_sims.simkit.hooks import common_router
from voucherbridge_sims.simkit.middleware import SimMiddleware
from voucherbridge_sims.simkit.persist import StateFile
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.simkit.state import Fault, JsonDict
from voucherbridge_sims.wechat import api as sim_api
from voucherbridge_sims.wechat import hooks as sim_hooks
from voucherbridge_sims.wechat import oauth as sim_oauth
from voucherbridge_sims.wechat import page as sim_page
from voucherbridge_sims.wechat import pay_api as sim_pay
from voucherbridge_sims.wechat.pay_state import PayBook
from voucherbridge_sims.wechat.state import BUSY, SimState, WeChatSimConfig, answer

__all__ = ["ServerThread", "WeChatSimConfig", "config_from_env", "create_app", "main"]


def create_app(config: WeChatSimConfig | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``."""
    sim = SimState(config or WeChatSimConfig())
    state_file = None
    if sim.config.state_file:
        state_file = StateFile(sim, sim.config.state_file, "wechat")
        state_file.load()
        state_file.start()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state_file is not None:
            state_file.start()
        yield
        sim.shutdown()
        if state_file is not None:
            state_file.stop()

    def biz_error(fault: Fault) -> tuple[int, JsonDict]:
        return 200, answer(fault.biz_code)

    app = FastAPI(
        title="WeChat official account simulator (VoucherBridge)",
        description="Loopback imitation of the official account's token and template-message "
        "API, with /_sim/ hooks and an inbox page.",
        lifespan=lifespan,
    )
    app.state.sim = sim
    for router in (sim_api.router, sim_hooks.router, sim_page.router):
        app.include_router(router)
    app.state.oauth = sim_oauth.OAuthGrants(sim)  # 网页授权 codes (issue 17 point 2)
    app.include_router(sim_oauth.router)
    app.state.pay = PayBook(sim)  # 微信支付 v3 JSAPI, keys made now (issue 17 point 3)
    app.include_router(sim_pay.router)
    app.include_router(common_router(BUSY))

    @app.get("/_sim/state")
    async def state() -> JSONResponse:
        """The entities as the state file keeps them."""
        return JSONResponse(sim.snapshot()["entities"])

    app.add_middleware(SimMiddleware, sim=sim, biz_error=biz_error)
    return app


def config_from_env(env: dict[str, str] | None = None) -> WeChatSimConfig:
    """WECHAT_APPID, WECHAT_SECRET, SIM_TARGET_BASE_URL, SIM_STATE_FILE, SIM_TIME_SCALE."""
    return env_config(WeChatSimConfig, env, appid="WECHAT_APPID", secret="WECHAT_SECRET")


def main(host: str = "127.0.0.1", port: int = 18083, state_file: str | None = None) -> None:
    """Serve the simulator with uvicorn until interrupted (`state_file` over SIM_STATE_FILE)."""
    config = config_from_env()
    if state_file:
        config.state_file = state_file
    serve(create_app(config), host, port)
