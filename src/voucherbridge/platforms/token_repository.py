"""The platform apps' access tokens, shared by every process (see `platforms.shared_tokens`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

_T = t.platform_tokens


class TokenRepo(Repository):
    def get(self, platform: str, app_key: str) -> tuple[str, datetime] | None:
        """The sealed token and when it expires, if one was stored."""
        row = self.conn.execute(
            select(_T.c.token_sealed, _T.c.renew_at).where(
                _T.c.platform == platform, _T.c.app_key == app_key
            )
        ).first()
        return (str(row.token_sealed), row.renew_at) if row is not None else None

    def put(
        self, platform: str, app_key: str, token_sealed: str, renew_at: datetime, now: datetime
    ) -> None:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        values = {"token_sealed": token_sealed, "renew_at": renew_at, "fetched_at": now}
        self.conn.execute(
            dialect.insert(_T)
            .values(platform=platform, app_key=app_key, **values)
            .on_conflict_do_update(index_elements=[_T.c.platform, _T.c.app_key], set_=values)
        )

    def forget(self, platform: str, app_key: str, token_sealed: str) -> None:
        """Drop the stored token if it is still this one (another process may have renewed it)."""
        self.conn.execute(
            delete(_T).where(
                _T.c.platform == platform,
                _T.c.app_key == app_key,
                _T.c.token_sealed == token_sealed,
            )
        )
