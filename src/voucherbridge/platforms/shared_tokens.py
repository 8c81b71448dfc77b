"""Platform app tokens kept in the database, sealed, so every process uses the same one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.platforms.bindings import SecretSealer
from voucherbridge.platforms.ports import SharedToken
from voucherbridge.platforms.token_repository import TokenRepo


class DatabaseTokens:
    """`SharedTokens` on our database; a token that cannot be opened (key changed) is absent."""

    def __init__(
        self, make_uow: UnitOfWorkFactory, sealer: SecretSealer, now: Callable[[], datetime]
    ) -> None:
        self.make_uow = make_uow
        self.sealer = sealer
        self.now = now

    def load(self, platform: str, app_key: str) -> SharedToken | None:
        with self.make_uow() as uow:
            stored = uow.repo(TokenRepo).get(platform, app_key)
        if stored is None:
            return None
        sealed, renew_at = stored
        try:
            return SharedToken(self.sealer.open(sealed), renew_at, sealed)
        except ValueError:
            return None

    def save(self, platform: str, app_key: str, value: str, renew_at: datetime) -> SharedToken:
        sealed = self.sealer.seal(value)
        with self.make_uow(write=True) as uow:
            uow.repo(TokenRepo).put(platform, app_key, sealed, renew_at, self.now())
            uow.commit()
        return SharedToken(value, renew_at, sealed)

    def forget(self, platform: str, app_key: str, token: SharedToken) -> None:
        if not token.handle:
            return
        with self.make_uow(write=True) as uow:
            uow.repo(TokenRepo).forget(platform, app_key, token.handle)
            uow.commit()
