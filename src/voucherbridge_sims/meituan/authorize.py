"""The page where a merchant authorizes our app (美团/点评 商家授权), as the browser sees it.

Our console sends the merchant here with ``app_key``, ``redirect_url`` and ``state``; the
merchant picks the shops and presses 授权; the page sends the browser back to ``redirect_url``
with ``auth_code`` and the same ``state``. The token exchange must repeat ``redirect_url``.
"""

from __future__ import annotations

import html
import secrets
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from voucherbridge_sims.meituan.state import DEMO_BID, AuthCode, SimState
from voucherbridge_sims.simkit.hooks import get_sim

router = APIRouter()
PATH = "/dz-open/merchant/auth"


def _refused(reason: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><p>授权失败:{html.escape(reason)}</p>", 400
    )


def _checked(sim: SimState, app_key: str, redirect_url: str) -> str | None:
    if app_key != sim.config.app_key:
        return "app_key无效"
    if urlsplit(redirect_url).scheme not in ("http", "https"):
        return "redirect_url无效"
    return None


@router.get(PATH)
async def authorize_page(request: Request) -> Response:
    sim: SimState = get_sim(request)
    q = request.query_params
    app_key, redirect_url, state = (
        q.get("app_key", ""),
        q.get("redirect_url", ""),
        q.get("state", ""),
    )
    if (problem := _checked(sim, app_key, redirect_url)) is not None:
        return _refused(problem)
    with sim.lock:
        shops = "".join(
            f'<label><input type="checkbox" name="shop" value="{html.escape(s.open_shop_uuid)}" '
            f"checked> {html.escape(s.full_name)}</label><br>"
            for s in sim.shops.values()
        )
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
        for k, v in (("app_key", app_key), ("redirect_url", redirect_url), ("state", state))
    )
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>美团商家授权(模拟)</title>"
        "<h1>授权 VoucherBridge 访问您的团购门店</h1>"
        f'<form method="post" action="{PATH}">{hidden}{shops}'
        '<button type="submit">授权</button></form>'
    )


@router.post(PATH)
async def authorize(request: Request) -> Response:
    sim: SimState = get_sim(request)
    form = await request.form()
    app_key, redirect_url = str(form.get("app_key") or ""), str(form.get("redirect_url") or "")
    if (problem := _checked(sim, app_key, redirect_url)) is not None:
        return _refused(problem)
    with sim.lock:
        chosen = [str(s) for s in form.getlist("shop") if str(s) in sim.shops]
        if not chosen:
            return _refused("请至少选择一个门店")
        code = AuthCode("mtac" + secrets.token_hex(10), DEMO_BID, chosen, redirect_url=redirect_url)
        sim.auth_codes[code.code] = code
    back = urlencode({"auth_code": code.code, "state": str(form.get("state") or "")})
    joiner = "&" if "?" in redirect_url else "?"
    return RedirectResponse(f"{redirect_url}{joiner}{back}", status_code=302)
