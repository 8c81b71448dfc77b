"""Who acts on the admin API, the console or the command line, and what they may touch."""

from __future__ import annotations

from dataclasses import dataclass

from voucherbridge.domain.errors import DomainError, ErrorCode

# The scope of what belongs to the whole chain: a template for every store, an item, a new
# store, an HQ user. Only HQ may change it.
CHAIN_WIDE: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Actor:
    """A console user acting on the admin API; `store_ids` None means the whole chain."""

    user_id: int
    merchant_id: int
    username: str
    role: str
    store_ids: frozenset[int] | None
    # Those of a manager's stores that HQ disabled: still read (their history), never written.
    closed_store_ids: frozenset[int] = frozenset()

    @property
    def is_hq(self) -> bool:
        return self.role == "hq_admin"

    def can_manage_store(self, store_id: int) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    def require_hq(self) -> None:
        if not self.is_hq:
            raise DomainError(ErrorCode.FORBIDDEN)

    def require_manager(self) -> None:
        """Cashier accounts may read console data but never change it."""
        if self.role not in ("hq_admin", "store_manager"):
            raise DomainError(ErrorCode.FORBIDDEN)

    def require_store(self, store_id: int) -> None:
        """Reading a store's own data (writes go through `require_change`)."""
        if not self.can_manage_store(store_id):
            raise DomainError(ErrorCode.FORBIDDEN)

    def may_change(self, scope: frozenset[int]) -> bool:
        """Whether this user may write an object used in the stores `scope` (empty: chain-wide).

        A store manager's stores must hold all of it: an empty set is a subset of anything,
        so "chain-wide" is its own case and never falls to a manager. Cashiers write nothing.
        """
        if self.is_hq:
            return True
        if self.role != "store_manager" or self.store_ids is None:
            return False
        return bool(scope) and scope <= self.store_ids and not scope & self.closed_store_ids

    def require_change(self, before: frozenset[int], after: frozenset[int] | None = None) -> None:
        """Refuse (403) a write unless the object is in reach as it is and as it would become:
        moving a chain-wide object into one's own stores must not be a way to take it over.
        A manager's store that HQ disabled is refused in words (`store_disabled`)."""
        touched = before | (after or frozenset())
        if self.role == "store_manager" and touched & self.closed_store_ids:
            raise DomainError(ErrorCode.STORE_DISABLED)
        if not self.may_change(before) or (after is not None and not self.may_change(after)):
            raise DomainError(ErrorCode.FORBIDDEN)

    @classmethod
    def operator(cls, merchant_id: int) -> Actor:
        """The person at the server's command line: HQ rights over one merchant."""
        return cls(0, merchant_id, "cli", "hq_admin", None)
