"""Console edits of a till: its name, taking its key back into use, and telling a till of a
disabled store why its key is refused (chain/terminals.py, chain/auth.py)."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository


class TerminalEditRepo(Repository):
    def rename(self, merchant_id: int, terminal_id: int, name: str) -> None:
        self.conn.execute(
            update(t.terminals)
            .where(t.terminals.c.merchant_id == merchant_id, t.terminals.c.id == terminal_id)
            .values(name=name)
        )

    def restore(self, merchant_id: int, terminal_id: int) -> None:
        """Take a till's key back into use (a cashier's web terminal is never restored)."""
        self.conn.execute(
            update(t.terminals)
            .where(
                t.terminals.c.merchant_id == merchant_id,
                t.terminals.c.id == terminal_id,
                t.terminals.c.user_id.is_(None),
            )
            .values(revoked_at=None)
        )

    def store_closed_for_key(self, key_hash: str) -> bool:
        """A live key (not revoked, merchant and user active) whose store is disabled: the
        till is told so, rather than that its key is unknown."""
        found = self.conn.execute(
            select(t.terminals.c.id)
            .join(t.stores, t.stores.c.id == t.terminals.c.store_id)
            .join(t.merchants, t.merchants.c.id == t.terminals.c.merchant_id)
            .outerjoin(t.users, t.users.c.id == t.terminals.c.user_id)
            .where(
                t.terminals.c.key_hash == key_hash,
                t.terminals.c.revoked_at.is_(None),
                t.stores.c.active.is_(False),
                t.merchants.c.active.is_(True),
                or_(t.terminals.c.user_id.is_(None), t.users.c.active.is_(True)),
            )
        ).first()
        return found is not None
