"""WeChat web-page authorization (网页授权, snsapi_base) as the simulator serves it.

``GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`` shows a
small page "授权登录" with the simulator's known users (``POST /_sim/wechat/users``): picking
one sends the phone to ``redirect_uri?code=CODE&state=STATE`` (302). Tests skip the page with
``&_sim_openid=X``, which answers that 302 at once. ``GET /sns/oauth2/access_token?appid&
secret&code&grant_type=authorization_code`` trades the code for ``{access_token, expires_in:
7200, refresh_token, openid, scope}``. As WeChat: a code works once (then 40163 "code been
used"), lives five minutes (then 40029 "invalid code"), a wrong secret is 40125, a wrong appid
40013. Codes live only in memory (five minutes is shorter than any restart worth keeping).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from voucherbridge_sims.simkit.hooks import get_sim
from voucherbridge_sims.wechat.state import (
    INVALID_APPID,
    INVALID_SECRET,
    SimState,
    answer,
)

router = APIRouter()
CODE_TTL_S = 300
TOKEN_TTL_S = 7200
INVALID_GRANT = 40002
INVALID_CODE = 40029
CODE_USED = 40163
SCOPES = ("snsapi_base", "snsapi_userinfo")
ERRMSG = {
    INVALID_GRANT: "invalid grant_type",
    INVALID_CODE: "invalid code",
    CODE_USED: "code been used",
}
_env = Environment(
    loader=PackageLoader("voucherbridge_sims.wechat", "templates"),
    autoescape=select_autoescape(default=True),
)
PAGE = _env.get_template("authorize.html")


@dataclass
class Grant:
    code: str
    appid: str
    openid: str
    scope: str
    issued_at: datetime
    used: bool = False


class OAuthGrants:
    """The codes handed out, by value; one per sign-in, single use, five minutes."""

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self.grants: dict[str, Grant] = {}

    def issue(self, appid: str, openid: str, scope: str) -> str:
        now = self.sim.clock.now()
        with self.sim.lock:
            self.grants = {
                k: g
                for k, g in self.grants.items()
                if now - g.issued_at < timedelta(seconds=CODE_TTL_S * 2)
            }
            code = secrets.token_hex(16)
            self.grants[code] = Grant(code, appid, openid, scope, now)
            return code

    def redeem(self, appid: str, code: str) -> Grant | int:
        """The grant behind `code` (now used up), or WeChat's errcode."""
        now = self.sim.clock.now()
        with self.sim.lock:
            grant = self.grants.get(code)
            if grant is None or grant.appid != appid:
                return INVALID_CODE
            if grant.used:
                return CODE_USED
            if now - grant.issued_at >= timedelta(seconds=CODE_TTL_S):
                return INVALID_CODE
            grant.used = True
            return grant


def grants_of(request: Request) -> OAuthGrants:
    grants: OAuthGrants = request.app.state.oauth
    return grants


def _oauth_answer(errcode: int) -> JSONResponse:
    if errcode in ERRMSG:
        return JSONResponse({"errcode": errcode, "errmsg": ERRMSG[errcode]})
    return JSONResponse(answer(errcode))


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *extra.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(PAGE.render(error=message, users=[], ask={}), status_code=status)


@router.get("/connect/oauth2/authorize", response_model=None)
async def authorize(request: Request) -> Response:
    """The authorize page (or, with ``_sim_openid``, the redirect back with a code)."""
    sim: SimState = get_sim(request)
    q = request.query_params
    appid, redirect_uri = q.get("appid", ""), q.get("redirect_uri", "")
    scope, state = q.get("scope", ""), q.get("state", "")
    if appid != sim.config.appid:
        return _error_page("参数错误:appid 无效 (invalid appid)")
    if q.get("response_type") != "code" or scope not in SCOPES:
        return _error_page("参数错误:scope 或 response_type 无效 (10005 invalid scope)")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        return _error_page("redirect_uri 参数错误 (10003 redirect_uri)")
    if len(state) > 128:
        return _error_page("state 参数过长 (state longer than 128 bytes)")
    openid = q.get("_sim_openid", "").strip()
    if openid:
        code = grants_of(request).issue(appid, openid, scope)
        return RedirectResponse(_with_query(redirect_uri, {"code": code, "state": state}), 302)
    with sim.lock:
        users: list[Any] = list(sim.users.values())
    ask = {"appid": appid, "redirect_uri": redirect_uri, "response_type": "code"}
    ask |= {"scope": scope, "state": state}
    html = PAGE.render(
        error=None,
        users=users,
        ask=ask,
        account=sim.config.account_name,
        host=target.netloc,
    )
    return HTMLResponse(html)


@router.get("/sns/oauth2/access_token")
async def access_token(request: Request) -> JSONResponse:
    """通过 code 换取网页授权 access_token: the openid of whoever picked the code."""
    sim: SimState = get_sim(request)
    q = request.query_params
    if q.get("grant_type") != "authorization_code":
        return _oauth_answer(INVALID_GRANT)
    if q.get("appid") != sim.config.appid:
        return _oauth_answer(INVALID_APPID)
    if q.get("secret") != sim.config.secret:
        return _oauth_answer(INVALID_SECRET)
    found = grants_of(request).redeem(q.get("appid", ""), q.get("code", ""))
    if isinstance(found, int):
        return _oauth_answer(found)
    return JSONResponse(
        {
            "access_token": "wxoat_" + secrets.token_urlsafe(24),
            "expires_in": TOKEN_TTL_S,
            "refresh_token": "wxort_" + secrets.token_urlsafe(24),
            "openid": found.openid,
            "scope": found.scope,
            "is_snapshotuser": 0,
        }
    )
