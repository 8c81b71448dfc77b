"""The consumer's session: a sealed cookie holding merchant id + openid for 12 h.

Signed in through WeChat's web-page authorization (snsapi_base): `sign_in_redirect` sends the
phone to the authorize page with a `state` that is signed and bound to this browser (a sealed
cookie carries its nonce, the merchant and where to land), the callback (web/consumer/routes.py)
checks both, exchanges the code for the openid and sets the session cookie.
Cookies are sealed with the secret key (core.crypto.ExpiringSeal, like the OAuth states of the
platform authorizations), HttpOnly, SameSite=Lax (WeChat's redirect back is a top-level GET),
Secure on https.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from voucherbridge.bootstrap import Container
from voucherbridge.core.crypto import ExpiringSeal, subkey

COOKIE = "vb_consumer"
FLOW_COOKIE = "vb_wx_oauth"
COOKIE_PATH = "/wx"
SESSION_TTL_S = 12 * 3600
FLOW_TTL_S = 10 * 60
CALLBACK_PATH = "/wx/oauth/callback"
AUTHORIZE_PATH = "/connect/oauth2/authorize"
NONCE_CHARS = 24  # hex; the state is nonce + signature, alphanumeric, well under WeChat's 128


@dataclass(frozen=True)
class ConsumerSession:
    merchant_id: int
    openid: str


@dataclass(frozen=True)
class SignInFlow:
    """What the sealed flow cookie holds between the authorize redirect and the callback."""

    merchant_id: int
    next_path: str
    nonce: str


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _session_seal(secret_key: str) -> ExpiringSeal:
    return ExpiringSeal(secret_key, b"consumer session v1", SESSION_TTL_S)


def _flow_seal(secret_key: str) -> ExpiringSeal:
    return ExpiringSeal(secret_key, b"consumer wechat oauth flow v1", FLOW_TTL_S)


def safe_local_path(target: str | None, fallback: str) -> str:
    """Only a path of ours under /wx/: never another host (`//evil`, `/\\evil`, `https://`)."""
    if (
        isinstance(target, str)
        and target.startswith("/wx/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target)
        and len(target) <= 512
    ):
        return target
    return fallback


def vouchers_path(merchant_id: int) -> str:
    return f"/wx/{merchant_id}/vouchers"


def _state_for(secret_key: str, nonce: str, merchant_id: int) -> str:
    mac = hmac.new(subkey(secret_key, b"consumer oauth state v1"), digestmod=hashlib.sha256)
    mac.update(f"{nonce}:{merchant_id}".encode())
    return nonce + mac.hexdigest()[:40]


def _set_cookie(
    request: Request, response: RedirectResponse, name: str, value: str, age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def read_consumer(request: Request) -> ConsumerSession | None:
    """The signed-in consumer of this browser, or None (no cookie, forged, older than 12 h)."""
    sealed = request.cookies.get(COOKIE)
    if not sealed:
        return None
    container = _container(request)
    opened = _session_seal(container.settings.secret_key).open(sealed, container.clock())
    if opened is None:
        return None
    try:
        body = json.loads(opened)
        merchant_id, openid = body["m"], body["o"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(merchant_id, int) or not isinstance(openid, str) or not openid:
        return None
    return ConsumerSession(merchant_id=merchant_id, openid=openid)


def sign_in_redirect(request: Request, merchant_id: int, next_path: str) -> RedirectResponse:
    """Send the phone to WeChat's authorize page; after the callback it lands on `next_path`
    (a local /wx/ path; anything else lands on the merchant's 我的优惠)."""
    container = _container(request)
    settings = container.settings
    landing = safe_local_path(next_path, vouchers_path(merchant_id))
    nonce = secrets.token_hex(NONCE_CHARS // 2)
    flow = json.dumps({"m": merchant_id, "n": landing, "x": nonce}, separators=(",", ":"))
    sealed = _flow_seal(settings.secret_key).seal(flow, container.clock())
    query = urlencode(
        {
            "appid": settings.wechat_appid,
            "redirect_uri": callback_url(request),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": _state_for(settings.secret_key, nonce, merchant_id),
        }
    )
    base = settings.wechat_oauth_base_url.rstrip("/")
    response = RedirectResponse(f"{base}{AUTHORIZE_PATH}?{query}#wechat_redirect", status_code=302)
    _set_cookie(request, response, FLOW_COOKIE, sealed, FLOW_TTL_S)
    return response


def callback_url(request: Request) -> str:
    """Where WeChat sends the phone back: our public address when set, else this host."""
    public = _container(request).settings.public_base_url
    base = public.rstrip("/") if public else str(request.base_url).rstrip("/")
    return base + CALLBACK_PATH


def read_flow(request: Request, state: str | None) -> SignInFlow | None:
    """The sign-in this browser started, when `state` is the one we signed for it; else None
    (forged or altered state, another browser's state, expired or missing flow cookie)."""
    sealed = request.cookies.get(FLOW_COOKIE)
    if not sealed or not isinstance(state, str) or len(state) > 128:
        return None
    container = _container(request)
    secret_key = container.settings.secret_key
    opened = _flow_seal(secret_key).open(sealed, container.clock())
    if opened is None:
        return None
    try:
        body = json.loads(opened)
        flow = SignInFlow(
            merchant_id=int(body["m"]), next_path=str(body["n"]), nonce=str(body["x"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    expected = _state_for(secret_key, flow.nonce, flow.merchant_id)
    if not hmac.compare_digest(expected.encode(), state.encode()):
        return None
    return flow


def session_cookie(container: Container, session: ConsumerSession) -> str:
    """The sealed value of the session cookie for `session` (what the callback sets)."""
    body = json.dumps({"m": session.merchant_id, "o": session.openid}, separators=(",", ":"))
    return _session_seal(container.settings.secret_key).seal(body, container.clock())


def signed_in(request: Request, response: RedirectResponse, session: ConsumerSession) -> None:
    """Set the session cookie on `response` and drop the finished sign-in flow."""
    sealed = session_cookie(_container(request), session)
    _set_cookie(request, response, COOKIE, sealed, SESSION_TTL_S)
    response.delete_cookie(FLOW_COOKIE, path=COOKIE_PATH)
