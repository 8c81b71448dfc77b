"""Douyin client tokens: one per store secret, fetched once at a time and cached until refresh."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from voucherbridge.platforms.douyin.answers import (
    OAUTH_RATE_LIMITED,
    OAUTH_REJECTED,
    TOKEN_REFRESH_SHARE,
    JsonDict,
    dict_of,
    int_of,
    log,
    rejected,
    unavailable,
)


@dataclass(frozen=True)
class Token:
    value: str
    refresh_at: float  # time.monotonic()


class TokenCache:
    """The tokens of every bound store; ``post`` sends the token call (with retries)."""

    def __init__(self, client_key: str, post: Callable[[JsonDict], JsonDict]) -> None:
        self.client_key = client_key
        self._post = post
        self._tokens: dict[tuple[str, str], Token] = {}
        self._fetching: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, secret: str) -> str:
        key = (self.client_key, secret)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached.refresh_at:
                return cached.value
            fetching = self._fetching.setdefault(key, threading.Lock())
        # One fetch per credential at a time: the others wait and reuse its token.
        with fetching:
            with self._lock:
                cached = self._tokens.get(key)
                if cached is not None and time.monotonic() < cached.refresh_at:
                    return cached.value
            token = self._fetch(secret)
            with self._lock:
                self._tokens[key] = token
            return token.value

    def _fetch(self, secret: str) -> Token:
        payload = {
            "client_key": self.client_key,
            "client_secret": secret,
            "grant_type": "client_credential",
        }
        body = self._post(payload)
        data = dict_of(body.get("data"))
        code = int_of(data.get("error_code"), 0)
        if code in OAUTH_REJECTED:
            log.warning("douyin.token_rejected", error_code=code)
            raise rejected()
        if code == OAUTH_RATE_LIMITED:
            log.warning("douyin.token_rate_limited")
            raise unavailable()
        if code or not data.get("access_token"):
            log.warning("douyin.token_failed", error_code=code)
            raise unavailable()
        lifetime = max(1.0, float(int_of(data.get("expires_in"), 7200)))
        log.info("douyin.token_fetched", expires_in=lifetime)
        return Token(str(data["access_token"]), time.monotonic() + lifetime * TOKEN_REFRESH_SHARE)

    def drop(self, secret: str, value: str) -> None:
        with self._lock:
            cached = self._tokens.get((self.client_key, secret))
            # Another thread may have refreshed meanwhile: keep its newer token.
            if cached is not None and cached.value == value:
                del self._tokens[(self.client_key, secret)]
