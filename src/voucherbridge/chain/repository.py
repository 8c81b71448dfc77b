"""Merchants, stores, the item catalogue, terminals and console users."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import (
    Merchant,
    Store,
    Terminal,
    User,
)


class MerchantRepo(Repository):
    def get(self, merchant_id: int) -> Merchant | None:
        row = self.conn.execute(select(t.merchants).where(t.merchants.c.id == merchant_id)).first()
        return mapping.merchant(row) if row else None

    def add(self, *, name: str, timezone: str, now: datetime) -> int:
        return self._insert(t.merchants, {"name": name, "timezone": timezone, "created_at": now})


class StoreRepo(Repository):
    def get(self, merchant_id: int, store_id: int) -> Store | None:
        row = self.conn.execute(
            select(t.stores).where(t.stores.c.merchant_id == merchant_id, t.stores.c.id == store_id)
        ).first()
        return mapping.store(row) if row else None

    def list(self, merchant_id: int, only: frozenset[int] | None = None) -> list[Store]:
        query = select(t.stores).where(t.stores.c.merchant_id == merchant_id)
        if only is not None:
            query = query.where(t.stores.c.id.in_(sorted(only)))
        return [mapping.store(r) for r in self.conn.execute(query.order_by(t.stores.c.id))]

    def add(self, merchant_id: int, *, name: str, brand: str, address: str, now: datetime) -> int:
        return self._insert(
            t.stores,
            {
                "merchant_id": merchant_id,
                "name": name,
                "brand": brand,
                "address": address,
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, store_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.stores)
            .where(t.stores.c.merchant_id == merchant_id, t.stores.c.id == store_id)
            .values(**values)
        )


class TerminalRepo(Repository):
    def by_key_hash(self, key_hash: str) -> Terminal | None:
        row = self.conn.execute(st.TERMINAL_BY_KEY, {"key_hash": key_hash}).first()
        return mapping.terminal(row) if row else None

    def get(self, merchant_id: int, terminal_id: int) -> Terminal | None:
        row = self.conn.execute(
            select(t.terminals).where(
                t.terminals.c.merchant_id == merchant_id, t.terminals.c.id == terminal_id
            )
        ).first()
        return mapping.terminal(row) if row else None

    def list(self, merchant_id: int, only_stores: frozenset[int] | None = None) -> list[Terminal]:
        query = select(t.terminals).where(t.terminals.c.merchant_id == merchant_id)
        if only_stores is not None:
            query = query.where(t.terminals.c.store_id.in_(sorted(only_stores)))
        return [mapping.terminal(r) for r in self.conn.execute(query.order_by(t.terminals.c.id))]

    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        name: str,
        key_prefix: str,
        key_hash: str,
        now: datetime,
    ) -> int:
        return self._insert(
            t.terminals,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "name": name,
                "key_prefix": key_prefix,
                "key_hash": key_hash,
                "created_at": now,
            },
        )

    def revoke(self, merchant_id: int, terminal_id: int, now: datetime) -> None:
        self.conn.execute(
            update(t.terminals)
            .where(
                t.terminals.c.merchant_id == merchant_id,
                t.terminals.c.id == terminal_id,
                t.terminals.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


class UserRepo(Repository):
    def by_username(self, username: str) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return mapping.user(row) if row else None

    def get(self, merchant_id: int, user_id: int) -> User | None:
        row = self.conn.execute(
            select(t.users).where(t.users.c.merchant_id == merchant_id, t.users.c.id == user_id)
        ).first()
        return mapping.user(row) if row else None

    def list(self, merchant_id: int) -> list[User]:
        query = select(t.users).where(t.users.c.merchant_id == merchant_id).order_by(t.users.c.id)
        return [mapping.user(r) for r in self.conn.execute(query)]

    def add(
        self,
        merchant_id: int,
        *,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        store_ids: Sequence[int],
        now: datetime,
    ) -> int:
        return self._insert(
            t.users,
            {
                "merchant_id": merchant_id,
                "username": username,
                "display_name": display_name,
                "password_hash": password_hash,
                "role": role,
                "store_ids": list(store_ids),
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, user_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.users)
            .where(t.users.c.merchant_id == merchant_id, t.users.c.id == user_id)
            .values(**values)
        )

    def add_token(self, user_id: int, token_hash: str, now: datetime, expires_at: datetime) -> None:
        self._insert(
            t.admin_tokens,
            {
                "user_id": user_id,
                "token_hash": token_hash,
                "created_at": now,
                "expires_at": expires_at,
            },
        )

    def by_token(self, token_hash: str, now: datetime) -> User | None:
        row = self.conn.execute(
            select(t.users)
            .join(t.admin_tokens, t.admin_tokens.c.user_id == t.users.c.id)
            .where(
                t.admin_tokens.c.token_hash == token_hash,
                t.admin_tokens.c.expires_at > now,
                t.admin_tokens.c.revoked_at.is_(None),
                t.users.c.active.is_(True),
            )
        ).first()
        return mapping.user(row) if row else None

    def revoke_token(self, token_hash: str, now: datetime) -> None:
        """End one console session (signing out on one PC leaves the others signed in)."""
        self.conn.execute(
            update(t.admin_tokens)
            .where(t.admin_tokens.c.token_hash == token_hash, t.admin_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def sign_in_failures(self, account_hash: str, since: datetime) -> Sequence[datetime]:
        """When the account's failed sign-ins since `since` happened, oldest first."""
        f = t.sign_in_failures.c
        query = select(f.at).where(f.account_hash == account_hash, f.at >= since).order_by(f.at)
        return [row.at for row in self.conn.execute(query)]

    def add_sign_in_failure(
        self, account_hash: str, now: datetime, forget_before: datetime
    ) -> None:
        """Count one failure; the account's failures older than `forget_before` go."""
        f = t.sign_in_failures.c
        self.conn.execute(
            delete(t.sign_in_failures).where(f.account_hash == account_hash, f.at < forget_before)
        )
        self._insert(t.sign_in_failures, {"account_hash": account_hash, "at": now})

    def clear_sign_in_failures(self, account_hash: str) -> None:
        self.conn.execute(
            delete(t.sign_in_failures).where(t.sign_in_failures.c.account_hash == account_hash)
        )

    def revoke_tokens(self, user_id: int, now: datetime) -> None:
        """End every open console session of the user (password changed, user deactivated)."""
        self.conn.execute(
            update(t.admin_tokens)
            .where(t.admin_tokens.c.user_id == user_id, t.admin_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
