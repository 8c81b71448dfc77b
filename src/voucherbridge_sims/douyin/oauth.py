"""OAuth client-token endpoints of the Douyin simulator (client_token, stable_client_token)."""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import wire as w

router = APIRouter()


async def _token(request: Request, stable: bool) -> JSONResponse:
    sim = w.get_sim(request)
    raw = await request.body()
    if "json" in request.headers.get("content-type", "json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
    else:
        body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    if not isinstance(body, dict) or body.get("grant_type") != "client_credential":
        return w.oauth_fail(w.OAUTH_BAD_PARAMS, "Parameter error")
    if not body.get("client_key") or not body.get("client_secret"):
        return w.oauth_fail(w.OAUTH_BAD_PARAMS, "Parameter error")
    if body["client_key"] != sim.config.client_key:
        return w.oauth_fail(w.OAUTH_UNKNOWN_CLIENT, "client_key不存在")
    if body["client_secret"] != sim.config.client_secret:
        return w.oauth_fail(w.OAUTH_BAD_SECRET, "client_key或client_secret错误")
    if not sim.count_token_call():
        return w.oauth_fail(w.OAUTH_RATE_LIMITED, "调用频率过高")
    token = sim.issue_token(stable)
    remaining = math.ceil((token.expires_at - sim.clock.now()).total_seconds())
    return w.oauth_ok({"access_token": token.value, "expires_in": max(remaining, 0)})


@router.post("/oauth/client_token/")
async def client_token(request: Request) -> JSONResponse:
    """生成 client_token: a new token each call; only the latest two live."""
    return await _token(request, stable=False)


@router.post("/oauth/stable_client_token/")
async def stable_client_token(request: Request) -> JSONResponse:
    """生成 stable_client_token: the same token while it is valid."""
    return await _token(request, stable=True)
