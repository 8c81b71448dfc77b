"""The official account's access token: one per app, cached here until five minutes before it
expires and shared by every process through a `TokenStore` (the database: bootstrap wires the
platforms' `DatabaseTokens`, sealed with core/crypto, as Douyin's token is).

WeChat's ``stable_token`` answers the same token while it lives, so two processes fetching at
once get the same one; a token WeChat refuses (40001/42001/40014) is dropped here and in the
store (unless another process renewed it meanwhile) and fetched again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

RENEW_MARGIN_S = 300.0  # renew five minutes before expiry


class StoredToken(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def renew_at(self) -> datetime: ...


class TokenStore(Protocol):
    """The app's token as every process sees it."""

    def load(self) -> StoredToken | None: ...

    def save(self, value: str, renew_at: datetime) -> StoredToken: ...

    def forget(self, value: str) -> None: ...


@dataclass(frozen=True)
class _Local:
    value: str
    renew_at: datetime


class _Cached:
    def __init__(self, token: StoredToken, refresh_at: float) -> None:
        self.token, self.refresh_at = token, refresh_at


class TokenCache:
    """`fetch` asks WeChat for a token: (access_token, expires_in seconds)."""

    def __init__(
        self,
        fetch: Callable[[], tuple[str, int]],
        store: TokenStore | None,
        now: Callable[[], datetime],
    ) -> None:
        self._fetch_remote = fetch
        self._store = store
        self._now = now
        self._cached: _Cached | None = None
        self._lock = threading.Lock()
        self._fetching = threading.Lock()
        self.fetches = 0  # tokens this process asked WeChat for

    def get(self) -> str:
        if (fresh := self._fresh()) is not None:
            return fresh
        with self._fetching:  # one fetch at a time in this process; the others reuse it
            if (fresh := self._fresh()) is not None:
                return fresh
            token = self._from_store() or self._fetch()
            left = (token.renew_at - self._now()).total_seconds()
            with self._lock:
                self._cached = _Cached(token, time.monotonic() + max(0.0, left))
            return token.value

    def drop(self, value: str) -> None:
        """WeChat refused `value`: forget it here and in the store."""
        with self._lock:
            if self._cached is not None and self._cached.token.value == value:
                self._cached = None
        if self._store is not None:
            self._store.forget(value)

    def _fresh(self) -> str | None:
        with self._lock:
            cached = self._cached
        if cached is not None and time.monotonic() < cached.refresh_at:
            return cached.token.value
        return None

    def _from_store(self) -> StoredToken | None:
        if self._store is None:
            return None
        token = self._store.load()
        if token is None or token.renew_at <= self._now():
            return None
        return token

    def _fetch(self) -> StoredToken:
        value, lifetime = self._fetch_remote()
        self.fetches += 1
        margin = min(RENEW_MARGIN_S, lifetime / 5)
        renew_at = self._now() + timedelta(seconds=max(1.0, lifetime - margin))
        if self._store is None:
            return _Local(value, renew_at)
        return self._store.save(value, renew_at)
