"""The official account's API as the simulator serves it (PROTOCOLS.md §3): ``GET
/cgi-bin/token``, ``POST /cgi-bin/stable_token`` and ``POST /cgi-bin/message/template/send``.
Business failures are HTTP 200 with a non-zero ``errcode``, as WeChat answers them."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.hooks import get_sim, read_json
from voucherbridge_sims.wechat.state import (
    INVALID_APPID,
    INVALID_SECRET,
    OK,
    SendAsk,
    SimState,
    Token,
    answer,
)

router = APIRouter()
BAD_REQUEST = 40002  # invalid grant_type / bad body


def _token_answer(sim: SimState, token: Token) -> JSONResponse:
    left = math.ceil((token.expires_at - sim.clock.now()).total_seconds())
    return JSONResponse({"access_token": token.value, "expires_in": max(left, 0)})


def _credentials_problem(sim: SimState, appid: object, secret: object) -> int:
    if appid != sim.config.appid:
        return INVALID_APPID
    if secret != sim.config.secret:
        return INVALID_SECRET
    return OK


@router.get("/cgi-bin/token")
async def token(request: Request) -> JSONResponse:
    """获取 access_token: a new token on each call (the previous one lives five minutes)."""
    sim: SimState = get_sim(request)
    q = request.query_params
    if q.get("grant_type") != "client_credential":
        return JSONResponse(answer(BAD_REQUEST))
    if problem := _credentials_problem(sim, q.get("appid"), q.get("secret")):
        return JSONResponse(answer(problem))
    return _token_answer(sim, sim.plain_token())


@router.post("/cgi-bin/stable_token")
async def stable_token(request: Request) -> JSONResponse:
    """getStableAccessToken: the same token while it lives; ``force_refresh`` makes a new one."""
    sim: SimState = get_sim(request)
    body = await read_json(request)
    if body is None or body.get("grant_type") != "client_credential":
        return JSONResponse(answer(BAD_REQUEST))
    if problem := _credentials_problem(sim, body.get("appid"), body.get("secret")):
        return JSONResponse(answer(problem))
    return _token_answer(sim, sim.stable_token(body.get("force_refresh") is True))


@router.post("/cgi-bin/message/template/send")
async def template_send(request: Request) -> JSONResponse:
    """sendTemplateMessage: ``{touser, template_id, url?, client_msg_id?, data{key:{value}}}``."""
    sim: SimState = get_sim(request)
    problem = sim.token_problem(request.query_params.get("access_token", ""))
    if problem:
        return JSONResponse(answer(problem))
    body = await read_json(request)
    if body is None or not isinstance(body.get("data"), dict):
        return JSONResponse(answer(BAD_REQUEST))
    data: dict[str, str] = {}
    for key, item in body["data"].items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            return JSONResponse(answer(47003))
        data[str(key)] = value
    ask = SendAsk(
        openid=str(body.get("touser") or ""),
        template_id=str(body.get("template_id") or ""),
        data=data,
        client_msg_id=str(body.get("client_msg_id") or ""),
        url=str(body.get("url") or ""),
    )
    errcode, msgid = sim.send(ask)
    if errcode:
        return JSONResponse(answer(errcode))
    return JSONResponse(answer(OK, msgid=msgid))
