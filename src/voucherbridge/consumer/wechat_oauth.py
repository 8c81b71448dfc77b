"""WeChat web-page authorization, our side: trade the callback's ``code`` for the openid.

``GET {wechat_base_url}/sns/oauth2/access_token?appid&secret&code&grant_type=
authorization_code`` answers ``{access_token, expires_in, refresh_token, openid, scope}``, or
HTTP 200 with an ``errcode``: 40029 invalid code, 40163 code been used (both: the consumer opens
the page again), 40125/40013 our configuration, -1 busy. A code works once, so the exchange is
tried once: a retry after a lost answer would only meet 40163. Nothing of the consumer's
access token is kept: snsapi_base gives us the openid, which is all the session holds.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from voucherbridge.domain.errors import DomainError, ErrorCode

log = structlog.get_logger("voucherbridge.consumer.wechat_oauth")
EXCHANGE_PATH = "/sns/oauth2/access_token"
CODE_REFUSED = frozenset({40029, 40163, 40030, 42003})  # invalid, used, bad refresh, expired
MAX_CODE_LENGTH = 256


class WeChatOAuth:
    """One exchange per sign-in; the caller owns nothing but this object."""

    def __init__(
        self,
        *,
        base_url: str,
        appid: str,
        secret: str,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._timeout_s = timeout_s
        self._transport = transport

    def openid_for(self, code: str) -> str:
        """The openid of whoever signed in with `code`; DomainError otherwise."""
        if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable():
            raise DomainError(ErrorCode.WECHAT_AUTH_CODE_INVALID)
        params = {
            "appid": self._appid,
            "secret": self._secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        try:
            with httpx.Client(timeout=self._timeout_s, transport=self._transport) as client:
                response = client.get(self._base_url + EXCHANGE_PATH, params=params)
        except httpx.HTTPError as exc:
            log.warning("wechat_oauth_unreachable", error=type(exc).__name__)
            raise DomainError(ErrorCode.WECHAT_UNAVAILABLE) from exc
        body = _json(response)
        if response.status_code != 200 or body is None:
            log.warning("wechat_oauth_bad_answer", status=response.status_code)
            raise DomainError(ErrorCode.WECHAT_UNAVAILABLE)
        errcode = body.get("errcode", 0)
        if errcode in CODE_REFUSED:
            log.info("wechat_oauth_code_refused", errcode=errcode)
            raise DomainError(ErrorCode.WECHAT_AUTH_CODE_INVALID)
        openid = body.get("openid")
        if errcode or not isinstance(openid, str) or not openid or len(openid) > 128:
            # 40125/40013 (our appid or secret), -1 busy, or an answer without an openid
            log.warning("wechat_oauth_refused", errcode=errcode, errmsg=body.get("errmsg"))
            raise DomainError(ErrorCode.WECHAT_UNAVAILABLE)
        return openid


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
