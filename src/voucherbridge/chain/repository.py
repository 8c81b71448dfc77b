"""Merchants, stores, the item catalogue, terminals and console users."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.engine import WRITE_OPTION
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import (
    Merchant,
    Store,
    Terminal,
    User,
)

# Two-key advisory locks live apart from one-key ones; 0x5349474E spells "SIGN".
_MERCHANT = Prepared(select(t.merchants).where(t.merchants.c.id == bindparam("merchant_id")))
# A refused scan names the store that used the code ("票券已使用 (时间, 门店)"): one read
# per refusal.
_STORE = Prepared(
    select(t.stores).where(
        t.stores.c.merchant_id == bindparam("merchant_id"), t.stores.c.id == bindparam("store_id")
    )
)
_LOCK_SIGN_IN_ACCOUNT = text("SELECT pg_advisory_xact_lock(1397311310, hashtext(:account))")


class MerchantRepo(Repository):
    def get(self, merchant_id: int) -> Merchant | None:
        row = _MERCHANT.run(self.conn, {"merchant_id": merchant_id}).first()
        return mapping.merchant(row) if row else None

    def set_active(self, merchant_id: int, active: bool) -> None:
        self.conn.execute(
            update(t.merchants).where(t.merchants.c.id == merchant_id).values(active=active)
        )

    def add(self, *, name: str, timezone: str, now: datetime) -> int:
        return self._insert(t.merchants, {"name": name, "timezone": timezone, "created_at": now})


class StoreRepo(Repository):
    def get(self, merchant_id: int, store_id: int) -> Store | None:
        row = _STORE.run(self.conn, {"merchant_id": merchant_id, "store_id": store_id}).first()
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
        """The terminal of a key that counts right now: not revoked, its store and merchant
        active, and for a cashier's web terminal its user active; else None."""
        row = st.TERMINAL_BY_KEY.run(self.conn, {"key_hash": key_hash}).first()
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
        user_id: int | None = None,
    ) -> int:
        """A till's terminal, or with `user_id` that cashier's web terminal (a page session)."""
        return self._insert(
            t.terminals,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "name": name,
                "key_prefix": key_prefix,
                "key_hash": key_hash,
                "created_at": now,
                "user_id": user_id,
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

    def open_web_terminal(self, key_hash: str) -> Terminal | None:
        """The cashier's web terminal of a key, not yet revoked (whatever its store's state)."""
        row = self.conn.execute(
            select(t.terminals).where(
                t.terminals.c.key_hash == key_hash,
                t.terminals.c.user_id.is_not(None),
                t.terminals.c.revoked_at.is_(None),
            )
        ).first()
        return mapping.terminal(row) if row else None

    def revoke_web_terminals(self, merchant_id: int, user_id: int, now: datetime) -> int:
        """End every cashier-page session of the user; how many were still open."""
        result = self.conn.execute(
            update(t.terminals)
            .where(
                t.terminals.c.merchant_id == merchant_id,
                t.terminals.c.user_id == user_id,
                t.terminals.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)


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
        """The user of a live console token: not expired nor revoked, the user and their
        merchant active (checked in the same lookup, at every request)."""
        row = self.conn.execute(
            select(t.users)
            .join(t.admin_tokens, t.admin_tokens.c.user_id == t.users.c.id)
            .join(t.merchants, t.merchants.c.id == t.users.c.merchant_id)
            .where(
                t.admin_tokens.c.token_hash == token_hash,
                t.admin_tokens.c.expires_at > now,
                t.admin_tokens.c.revoked_at.is_(None),
                t.users.c.active.is_(True),
                t.merchants.c.active.is_(True),
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

    def lock_sign_in_account(self, account_hash: str) -> None:
        """Hold the sign-in attempts of one account back until this write transaction ends.

        PostgreSQL: a transaction-scoped advisory lock on the account, in a key space of its
        own; the next statement (READ COMMITTED) then sees the failures of whoever held it
        before. SQLite: the write transaction (BEGIN IMMEDIATE) already holds the only write
        lock of the database, across processes too.
        """
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_LOCK_SIGN_IN_ACCOUNT, {"account": account_hash})
        elif not self.conn.get_execution_options().get(WRITE_OPTION, False):
            raise RuntimeError("the sign-in lock needs a write unit of work")

    def sign_in_failures(self, account_hash: str, since: datetime) -> Sequence[datetime]:
        """When the account's failed sign-ins since `since` happened, oldest first."""
        f = t.sign_in_failures.c
        query = select(f.at).where(f.account_hash == account_hash, f.at >= since).order_by(f.at)
        return [row.at for row in self.conn.execute(query)]

    def add_sign_in_failure(self, account_hash: str, now: datetime, forget_before: datetime) -> int:
        """Count one failure (its id); the account's failures older than `forget_before` go."""
        f = t.sign_in_failures.c
        self.conn.execute(
            delete(t.sign_in_failures).where(f.account_hash == account_hash, f.at < forget_before)
        )
        return self._insert(t.sign_in_failures, {"account_hash": account_hash, "at": now})

    def forget_sign_in_failures(self, account_hash: str, *, up_to_id: int) -> None:
        """A good sign-in: the account's failures counted before it (ids up to its own) go."""
        f = t.sign_in_failures.c
        self.conn.execute(
            delete(t.sign_in_failures).where(f.account_hash == account_hash, f.id <= up_to_id)
        )

    def drop_sign_in_failure(self, failure_id: int) -> None:
        """Take back one counted failure (an attempt that turned out not to be one)."""
        self.conn.execute(delete(t.sign_in_failures).where(t.sign_in_failures.c.id == failure_id))

    def revoke_tokens(self, user_id: int, now: datetime) -> None:
        """End every open console session of the user (password changed, user deactivated)."""
        self.conn.execute(
            update(t.admin_tokens)
            .where(t.admin_tokens.c.user_id == user_id, t.admin_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
