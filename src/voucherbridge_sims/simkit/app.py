"""Assembling a platform simulator: its own routers, the common /_sim/ hooks, the fault and
latency middleware, and the state's shutdown when the server stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from voucherbridge_sims.simkit.hooks import common_router
from voucherbridge_sims.simkit.middleware import SimMiddleware
from voucherbridge_sims.simkit.state import Fault, JsonDict, SimBase


def simulator_app(
    sim: SimBase,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    busy_code: int,
    biz_error: Callable[[Fault], tuple[int, JsonDict]],
) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim``. `busy_code` is what a
    ``biz_error`` fault answers when the test names none; `biz_error` renders that answer in
    the platform's own envelope."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        sim.shutdown()

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.state.sim = sim
    for router in routers:
        app.include_router(router)
    app.include_router(common_router(busy_code))
    app.add_middleware(SimMiddleware, sim=sim, biz_error=biz_error)
    return app
