"""The Douyin OpenAPI wire: retried sends and token-carrying calls, a refused token renewed once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from voucherbridge.platforms.douyin.answers import (
    RETRY_LATER,
    TOKEN,
    TOKEN_PROBLEMS,
    JsonDict,
    error_code,
    log,
    unavailable,
)
from voucherbridge.platforms.douyin.tokens import TokenCache
from voucherbridge.platforms.ports import SharedTokens
from voucherbridge.platforms.transport import Transient, json_object, sent, with_retries

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    body: JsonDict
    # True when an earlier send of this call failed in transit or was answered "busy": it may
    # have been applied.
    uncertain: bool


class OpenApi:
    """The HTTP pool, the retry policy and the app token every Douyin call goes through."""

    def __init__(
        self,
        http: httpx.Client,
        client_key: str,
        client_secret: str,
        *,
        shared_tokens: SharedTokens | None,
        retry_wait_s: float,
        max_attempts: int,
    ) -> None:
        self.http = http
        self.retry_wait_s = retry_wait_s
        self.max_attempts = max_attempts
        self.tokens = TokenCache(client_key, client_secret, self._post_token, shared_tokens)

    def retrying(self, call: Callable[[], T], what: str) -> T:
        return with_retries(
            call,
            platform="douyin",
            what=what,
            attempts=self.max_attempts,
            wait_s=self.retry_wait_s,
            unavailable=unavailable,
        )

    def send(self, method: str, url: str, **kwargs: Any) -> JsonDict:
        response = sent(lambda: self.http.request(method, url, **kwargs))
        return json_object(response, platform="douyin", unavailable=unavailable)

    def _post_token(self, payload: JsonDict) -> JsonDict:
        return self.retrying(lambda: self.send("POST", TOKEN, json=payload), "token")

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        """An OpenAPI call with the app's token; a refused token is renewed once."""
        failed_sends = 0
        body: JsonDict = {}
        for round_ in (1, 2):
            token = self.tokens.get()
            headers = {"access-token": token, "content-type": "application/json"}

            def once(headers: dict[str, str] = headers) -> JsonDict:
                nonlocal failed_sends
                try:
                    answer = self.send(method, path, headers=headers, **kwargs)
                except Transient:
                    failed_sends += 1
                    raise
                if error_code(answer) in RETRY_LATER:
                    # Busy or too frequent: try again, backing off. Douyin's verify page warns
                    # that such an attempt may still have been applied, so it counts as one
                    # whose outcome is unknown.
                    failed_sends += 1
                    raise Transient(f"code {error_code(answer)}")
                return answer

            body = self.retrying(once, path)
            if error_code(body) in TOKEN_PROBLEMS and round_ == 1:
                log.info("douyin.token_refused", call=path, error_code=error_code(body))
                self.tokens.drop(token)
                continue
            break
        if error_code(body) in TOKEN_PROBLEMS:
            log.warning("douyin.token_refused_twice", call=path)
            raise unavailable()
        return Answer(body, failed_sends > 0)
