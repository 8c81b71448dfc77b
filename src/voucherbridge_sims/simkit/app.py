"""A platform simulator's app (its routers, /_sim/ hooks, page, faults, state file, shutdown),
env config, serving."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI

from voucherbridge_sims.simkit.hooks import common_router
from voucherbridge_sims.simkit.middleware import SimMiddleware
from voucherbridge_sims.simkit.page import PageSpec, page_router
from voucherbridge_sims.simkit.persist import StateFile
from voucherbridge_sims.simkit.state import Fault, JsonDict, SimBase, SimConfig

ConfigT = TypeVar("ConfigT", bound=SimConfig)


def simulator_app(
    sim: SimBase,
    *,
    platform: str,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    busy_code: int,
    biz_error: Callable[[Fault], tuple[int, JsonDict]],
    page: PageSpec,
) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``. `busy_code` is what a
    ``biz_error`` fault answers when the test names none; `biz_error` renders that answer in
    the platform's own envelope; `page` is what ``GET /`` shows. With ``config.state_file`` the
    state is loaded from that file now and kept in it (see `simkit.persist`)."""
    state_file = None
    if sim.config.state_file:
        state_file = StateFile(sim, sim.config.state_file, platform)
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

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.state.sim = sim
    for router in routers:
        app.include_router(router)
    app.include_router(common_router(busy_code))
    app.include_router(page_router(page))
    app.add_middleware(SimMiddleware, sim=sim, biz_error=biz_error)
    return app


def env_config(
    make: Callable[..., ConfigT], env: Mapping[str, str] | None, **variables: str
) -> ConfigT:
    """A config read from `env` (default ``os.environ``): each field named in `variables` from
    that variable, ``target_base_url`` from SIM_TARGET_BASE_URL, ``state_file`` from
    SIM_STATE_FILE and ``time_scale`` from SIM_TIME_SCALE. A variable unset or empty leaves the
    field at its default."""
    env = os.environ if env is None else env
    variables = {
        **variables,
        "target_base_url": "SIM_TARGET_BASE_URL",
        "state_file": "SIM_STATE_FILE",
    }
    values: dict[str, Any] = {
        field: env[name] for field, name in variables.items() if env.get(name)
    }
    if env.get("SIM_TIME_SCALE"):
        values["time_scale"] = float(env["SIM_TIME_SCALE"])
    return make(**values)


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve a simulator with uvicorn until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="info")
