"""WeChat template messages (PROTOCOLS.md §3): ``POST /cgi-bin/stable_token`` for the app's
token, ``POST /cgi-bin/message/template/send`` with ``client_msg_id`` (our outbox id: WeChat
dedupes a resend), and WeChat's errcodes mapped onto the notifier port.

HTTP 200 with a non-zero ``errcode`` is a business answer. 40001/42001/40014: the token is
dropped, fetched again and the send retried once. 43004/43101/40003: the user cannot get it
(`Undeliverable`). 45009/45047: quota (`QuotaReached`). 40037/47003: configuration, permanent.
-1 (busy), transport failures, 5xx and 429 are retried here with backoff and jitter (tenacity,
composed as `platforms.transport.with_retries` does), then `NotifyFailed` for the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import structlog
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from voucherbridge.domain.backoff import WAIT_CAP
from voucherbridge.notifications.ports import (
    NotifyFailed,
    QuotaReached,
    TemplateMessage,
    Undeliverable,
)
from voucherbridge.notifications.wechat.tokens import TokenCache, TokenStore

log = structlog.get_logger("voucherbridge.notifications.wechat")
TOKEN_PATH = "/cgi-bin/stable_token"
SEND_PATH = "/cgi-bin/message/template/send"
BUSY = -1
TOKEN_PROBLEMS = frozenset({40001, 42001, 40014})
UNDELIVERABLE = frozenset({43004, 43101, 40003})
QUOTA = frozenset({45009, 45047})
CONFIGURATION = frozenset({40037, 47003, 40013, 40125})
JsonDict = dict[str, Any]


class _Transient(Exception):
    """Worth another try: WeChat did not get, or did not finish answering, the call."""


def _errcode(body: JsonDict) -> int:
    value = body.get("errcode", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else BUSY


class WeChatTemplateNotifier:
    """One per process: the HTTP pool and this app's token cache."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        *,
        store: TokenStore | None,
        now: Callable[[], datetime],
        timeout_s: float = 5.0,
        retry_wait_s: float = 0.5,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.retry_wait_s = max(0.0, retry_wait_s)
        self.max_attempts = max(1, max_attempts)
        self.http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self.tokens = TokenCache(self._fetch_token, store, now)

    def close(self) -> None:
        self.http.close()

    def send(self, message: TemplateMessage) -> str:
        """The message's WeChat msgid, or one of the port's exceptions."""
        body: JsonDict = {
            "touser": message.openid,
            "template_id": message.template_id,
            "client_msg_id": message.client_msg_id,
            "data": {key: {"value": value} for key, value in message.data.items()},
        }
        if message.url:
            body["url"] = message.url
        answer: JsonDict = {}
        for round_ in (1, 2):
            token = self.tokens.get()
            answer = self._post(SEND_PATH, body, params={"access_token": token})
            if _errcode(answer) in TOKEN_PROBLEMS and round_ == 1:
                log.info("wechat.token_refused", errcode=_errcode(answer))
                self.tokens.drop(token)
                continue
            break
        code = _errcode(answer)
        if code == 0:
            return str(answer.get("msgid") or "")
        reason = f"wechat errcode {code}: {answer.get('errmsg', '')}"
        log.info("wechat.send_refused", errcode=code)
        if code in UNDELIVERABLE:
            raise Undeliverable(reason)
        if code in QUOTA:
            raise QuotaReached(reason)
        raise NotifyFailed(reason, permanent=code in CONFIGURATION)

    def _fetch_token(self) -> tuple[str, int]:
        answer = self._post(
            TOKEN_PATH,
            {
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
                "force_refresh": False,
            },
        )
        token = answer.get("access_token")
        if _errcode(answer) or not isinstance(token, str) or not token:
            code = _errcode(answer)
            log.warning("wechat.token_failed", errcode=code)
            raise NotifyFailed(f"wechat token errcode {code}", permanent=code in CONFIGURATION)
        lifetime = answer.get("expires_in")
        log.info("wechat.token_fetched", expires_in=lifetime)
        return token, lifetime if isinstance(lifetime, int) and lifetime > 0 else 7200

    def _post(self, path: str, body: JsonDict, params: dict[str, str] | None = None) -> JsonDict:
        def once() -> JsonDict:
            try:
                response = self.http.post(path, json=body, params=params)
            except httpx.TransportError as exc:
                raise _Transient(type(exc).__name__) from exc
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"HTTP {response.status_code}")
            try:
                answer = response.json()
            except ValueError as exc:
                raise _Transient("answer is not JSON") from exc
            if not isinstance(answer, dict):
                raise _Transient("answer is not a JSON object")
            if _errcode(answer) == BUSY:
                raise _Transient("errcode -1 (busy)")
            return answer

        wait = self.retry_wait_s
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=wait, max=wait * WAIT_CAP) + wait_random(0, wait),
            reraise=False,
        )
        try:
            return retrying(once)
        except RetryError as exc:
            error = exc.last_attempt.exception()
            log.warning("wechat.unavailable", call=path, error=str(error))
            raise NotifyFailed(f"wechat unavailable: {error}") from exc
