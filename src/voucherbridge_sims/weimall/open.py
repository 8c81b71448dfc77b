"""The mall's open API as our service calls it: ``POST /open/v1/*`` with a signed envelope.

Answers are HTTP 200 ``{"code", "msg", "data"}`` whatever the outcome (PROTOCOLS §0, §4). A
message refused by `open_envelope` gets code 40001 with the reason as ``msg``. The timestamp may
be close to either the simulated now or the real now: callers cannot see the simulated clock,
and a test that advances it (to close a reversal window) must still get through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge.platforms.weimall.signing import SignatureError, open_envelope
from voucherbridge_sims.simkit.hooks import get_sim
from voucherbridge_sims.weimall import rules as sim_rules
from voucherbridge_sims.weimall.state import BAD_REQUEST, BAD_SIGN, JsonDict, SimState, reply

router = APIRouter(prefix="/open/v1")
Handler = Callable[[SimState, str, JsonDict], JsonDict]


def _open(sim: SimState, raw: bytes) -> tuple[str, str, JsonDict, str]:
    tolerance = sim.config.tolerance_s
    try:
        return open_envelope(raw, sim.secret_for, sim.clock.now_s(), tolerance)
    except SignatureError as exc:
        if exc.reason != "timestamp out of tolerance":
            raise
        return open_envelope(raw, sim.secret_for, int(time.time()), tolerance)


async def _serve(request: Request, handler: Handler) -> JSONResponse:
    sim: SimState = get_sim(request)
    raw = await request.body()
    try:
        client_id, _type, payload, msg_id = _open(sim, raw)
    except SignatureError as exc:
        return JSONResponse(reply(BAD_SIGN, msg=exc.reason))
    with sim.lock:
        earlier = sim.seen_answer(client_id, msg_id)
        if earlier is not None:
            return JSONResponse(earlier)
        answer = handler(sim, client_id, payload)
        sim.remember(client_id, msg_id, answer)
    return JSONResponse(answer)


def _ping(sim: SimState, store_id: str, payload: JsonDict) -> JsonDict:
    with sim.lock:
        return reply(data={"store_name": sim.stores[store_id].name})


def _redeemed(sim: SimState, store_id: str, payload: JsonDict) -> JsonDict:
    return sim_rules.redeemed(sim, store_id, payload)


def _reversed(sim: SimState, store_id: str, payload: JsonDict) -> JsonDict:
    return sim_rules.reversed_(sim, store_id, payload)


def _settlements(sim: SimState, store_id: str, payload: JsonDict) -> JsonDict:
    try:
        day = date.fromisoformat(str(payload.get("date")))
    except ValueError:
        return reply(BAD_REQUEST, msg="bad request: date must be YYYY-MM-DD")
    return reply(
        data={"date": day.isoformat(), "rows": sim_rules.settlement_rows(sim, store_id, day)}
    )


@router.post("/ping")
async def ping(request: Request) -> JSONResponse:
    """The binding test call: the store's name when the id and secret are right."""
    return await _serve(request, _ping)


@router.post("/vouchers/redeemed")
async def redeemed(request: Request) -> JSONResponse:
    """A code was used at the store; idempotent on ``redemption_id``."""
    return await _serve(request, _redeemed)


@router.post("/vouchers/reversed")
async def reversed_(request: Request) -> JSONResponse:
    """A use was undone; refused (42201) after ``reversal_window_s``."""
    return await _serve(request, _reversed)


@router.post("/settlements/query")
async def settlements(request: Request) -> JSONResponse:
    """The store's statement rows of one China day (a built statement overrides live rows)."""
    return await _serve(request, _settlements)
