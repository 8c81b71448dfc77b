"""Douyin's client token: one per app (our client key), shared by every process.

Douyin has one app that each merchant authorizes, not a secret per store; its token is valid
two hours and fetching a new one retires the older ones after a grace of five minutes, so every
API and worker process uses the one token kept in the database (`SharedTokens`), fetched with
`stable_client_token` (which answers the same token while it lives) when none is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from voucherbridge.platforms.douyin.answers import (
    OAUTH_RATE_LIMITED,
    OAUTH_REJECTED,
    PLATFORM,
    TOKEN_REFRESH_SHARE,
    JsonDict,
    dict_of,
    int_of,
    log,
    rejected,
    unavailable,
)
from voucherbridge.platforms.ports import SharedToken, SharedTokens

# Douyin retires a replaced token five minutes later: renew at least that long before expiry
# (and at TOKEN_REFRESH_SHARE of a token's life when it lives only minutes).
RENEW_MARGIN_S = 300.0


@dataclass(frozen=True)
class _Cached:
    token: SharedToken
    refresh_at: float  # time.monotonic()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TokenCache:
    """The app's token in this process, backed by the shared copy; ``post`` sends the token
    call (with retries)."""

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        post: Callable[[JsonDict], JsonDict],
        shared: SharedTokens | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.client_key = client_key
        self._secret = client_secret
        self._post = post
        self._shared = shared
        self._now = now
        self._cached: _Cached | None = None
        self._lock = threading.Lock()
        self._fetching = threading.Lock()

    def get(self) -> str:
        if (cached := self._fresh()) is not None:
            return cached
        # One fetch at a time in this process: the others wait and reuse its token.
        with self._fetching:
            if (cached := self._fresh()) is not None:
                return cached
            token = self._from_shared() or self._fetch()
            self._keep(token)
            return token.value

    def drop(self, value: str) -> None:
        """Douyin refused ``value``: forget it here and in the shared copy (unless renewed)."""
        with self._lock:
            cached = self._cached
            if cached is None or cached.token.value != value:
                return  # another thread renewed it meanwhile: keep its newer token
            self._cached = None
        if self._shared is not None:
            self._shared.forget(PLATFORM, self.client_key, cached.token)

    def _fresh(self) -> str | None:
        with self._lock:
            cached = self._cached
        if cached is not None and time.monotonic() < cached.refresh_at:
            return cached.token.value
        return None

    def _keep(self, token: SharedToken) -> None:
        left = (token.renew_at - self._now()).total_seconds()
        with self._lock:
            self._cached = _Cached(token, time.monotonic() + max(0.0, left))

    def _from_shared(self) -> SharedToken | None:
        if self._shared is None:
            return None
        token = self._shared.load(PLATFORM, self.client_key)
        if token is None or token.renew_at <= self._now():
            return None
        return token

    def _fetch(self) -> SharedToken:
        payload = {
            "client_key": self.client_key,
            "client_secret": self._secret,
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
        lifetime = float(max(1, int_of(data.get("expires_in"), 7200)))
        log.info("douyin.token_fetched", expires_in=lifetime)
        margin = min(RENEW_MARGIN_S, lifetime * (1 - TOKEN_REFRESH_SHARE))
        renew_at = self._now() + timedelta(seconds=lifetime - margin)
        value = str(data["access_token"])
        if self._shared is None:
            return SharedToken(value, renew_at, "")
        return self._shared.save(PLATFORM, self.client_key, value, renew_at)
