"""A Meituan binding's secret: the merchant session, and what the token exchange said about it.

Dianping's token answer carries ``access_token`` (the session every call sends), ``bid`` (the
customer id the shop-scope query requires), ``refresh_token`` and ``remain_refresh_count`` (how
many refreshes are left; none are returned once it runs out). All of it is kept, sealed, where
the binding keeps its secret: the JSON form below. A bare session token (pasted by hand, or a
binding made before the bid was kept) still works; the bid is then asked of the session.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class MeituanSession:
    session: str
    bid: str = ""
    refresh_token: str = ""
    remain_refresh_count: int | None = None
    expires_at: int | None = None  # UTC epoch seconds, from the exchange's expires_in

    def expires_before(self, moment: datetime) -> bool:
        """Known to lapse before ``moment`` (a pasted session's lifetime is unknown)."""
        return self.expires_at is not None and self.expires_at < moment.timestamp()

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token) and self.remain_refresh_count != 0

    def to_secret(self) -> str:
        """The binding secret: compact JSON (it is sealed before it is stored)."""
        kept = {k: v for k, v in asdict(self).items() if v not in ("", None)}
        return json.dumps(kept, separators=(",", ":"))

    @classmethod
    def of(cls, secret: str) -> MeituanSession:
        """The session of a binding secret, in either form."""
        text = secret.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if isinstance(value, dict) and isinstance(value.get("session"), str):
                count, expires = value.get("remain_refresh_count"), value.get("expires_at")
                return cls(
                    session=value["session"],
                    bid=str(value.get("bid") or ""),
                    refresh_token=str(value.get("refresh_token") or ""),
                    remain_refresh_count=count if isinstance(count, int) else None,
                    expires_at=expires if isinstance(expires, int) else None,
                )
        return cls(session=text)


@dataclass(frozen=True)
class SessionGrant:
    """A merchant session from ``/router/oauth/token``; `secret` is what the binding keeps."""

    access_token: str
    refresh_token: str
    expires_in: int
    bid: str
    remain_refresh_count: int | None = None
    granted_at: int | None = None  # UTC epoch seconds

    @classmethod
    def of(cls, body: dict[str, Any], granted_at: datetime | None = None) -> SessionGrant:
        """The token answer (flat, not wrapped in ``data``)."""
        remain, lifetime = body.get("remain_refresh_count"), body.get("expires_in")
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or ""),
            expires_in=int(str(lifetime)) if str(lifetime).isdigit() else 0,
            bid=str(body.get("bid") or ""),
            remain_refresh_count=int(str(remain)) if str(remain).isdigit() else None,
            granted_at=int(granted_at.timestamp()) if granted_at else None,
        )

    def secret(self) -> str:
        expires = self.granted_at + self.expires_in if self.granted_at and self.expires_in else None
        kept = MeituanSession(
            self.access_token, self.bid, self.refresh_token, self.remain_refresh_count, expires
        )
        return kept.to_secret()
