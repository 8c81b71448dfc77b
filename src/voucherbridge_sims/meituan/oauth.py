"""Merchant authorization of the simulator: ``/router/oauth/token``, the session's ``bid``
and the session's shops (which the scope query only lists for that ``bid``).

The merchant authorizes our app in the browser and we receive an ``auth_code`` (the hook
``/_sim/meituan/auth_codes`` mints one); the token call turns it into a session (the
``access_token`` every call then carries as ``session``) and a refresh token. The token answer is
flat (``{"code":200, "access_token", ...}``), not wrapped in ``data`` [C].
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.meituan.state import (
    BAD_REQUEST,
    OK,
    UNAUTHORIZED,
    JsonDict,
    Session,
    SimState,
    envelope,
)
from voucherbridge_sims.meituan.wire import Refused, answer, read_params, serve
from voucherbridge_sims.simkit.hooks import get_sim

router = APIRouter(prefix="/router/oauth")


def _grant(sim: SimState, params: dict[str, str]) -> Session:
    if params.get("app_secret") != sim.config.app_secret:
        raise Refused(UNAUTHORIZED, "app_secret无效")
    now = sim.clock.now()
    grant = params.get("grant_type")
    if grant == "authorization_code":
        code = sim.auth_codes.get(params.get("auth_code") or "")
        if code is None or code.used:
            raise Refused(UNAUTHORIZED, "auth_code无效")
        if code.redirect_url and params.get("redirect_url") != code.redirect_url:
            raise Refused(UNAUTHORIZED, "redirect_url与授权时不一致")
        code.used = True
        return sim.add_session(None, code.bid, code.shop_ids)
    if grant == "refresh_token":
        old = next(
            (s for s in sim.sessions.values() if s.refresh_token == params.get("refresh_token")),
            None,
        )
        if old is None or now >= old.refresh_expires_at or old.remain_refresh_count < 1:
            raise Refused(UNAUTHORIZED, "refresh_token无效或已过期")
        del sim.sessions[old.access_token]
        renewed = sim.add_session(None, old.bid, old.shop_ids)
        renewed.remain_refresh_count = old.remain_refresh_count - 1
        return renewed
    raise Refused(BAD_REQUEST, "grant_type无效")


@router.post("/token")
async def token(request: Request) -> JSONResponse:
    """Exchange an ``auth_code`` (or a ``refresh_token``) for a merchant session."""
    sim: SimState = get_sim(request)
    params = await read_params(request)
    if params.get("app_key") != sim.config.app_key:
        return answer(envelope(UNAUTHORIZED, "app_key无效"))
    try:
        with sim.lock:
            session = _grant(sim, params)
    except Refused as exc:
        return answer(envelope(exc.code, exc.msg))
    body: JsonDict = {
        "code": OK,
        "msg": "success",
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_in": sim.config.session_ttl_s,
        "remain_refresh_count": session.remain_refresh_count,
        "bid": session.bid,
        "scope": "tuangou",
        "token_type": "bearer",
        "request_id": secrets.token_hex(8),
    }
    return answer(body)


def _scope(sim: SimState, session: Session | None, params: dict[str, str]) -> list[JsonDict]:
    assert session is not None
    bid = params.get("bid")
    if not bid:
        raise Refused(BAD_REQUEST, "缺少参数 bid")
    if bid != session.bid:
        raise Refused(UNAUTHORIZED, "bid与session不匹配")
    return [
        {
            "open_shop_uuid": shop.open_shop_uuid,
            "shopname": shop.shopname,
            "branchname": shop.branchname,
            "shop_address": shop.shopaddress,
            "cityname": shop.cityname,
        }
        for shop in (sim.shops[s] for s in session.shop_ids if s in sim.shops)
    ]


@router.api_route("/session/scope", methods=["GET", "POST"])
async def scope(request: Request) -> JSONResponse:
    """The shops this session may act for (our binding test call)."""
    return await serve(request, _scope)


def _session_query(sim: SimState, session: Session | None, params: dict[str, str]) -> JsonDict:
    del sim, params
    assert session is not None
    return {"bid": session.bid, "scope": "tuangou"}


@router.api_route("/session/query", methods=["GET", "POST"])
async def session_query(request: Request) -> JSONResponse:
    """session 范围查询: the customer id (``bid``) and scope of a session."""
    return await serve(request, _session_query)
