"""Who acts on the admin API, the console or the command line, and what they may touch."""

from __future__ import annotations

from dataclasses import dataclass

from voucherbridge.domain.errors import DomainError, ErrorCode


@dataclass(frozen=True, slots=True)
class Actor:
    """A console user acting on the admin API; `store_ids` None means the whole chain."""

    user_id: int
    merchant_id: int
    username: str
    role: str
    store_ids: frozenset[int] | None

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
        if not self.can_manage_store(store_id):
            raise DomainError(ErrorCode.FORBIDDEN)

    @classmethod
    def operator(cls, merchant_id: int) -> Actor:
        """The person at the server's command line: HQ rights over one merchant."""
        return cls(0, merchant_id, "cli", "hq_admin", None)
