"""The unit of work and repository ports the use cases talk to (no SQL here).

The database adapter implements these; every read and write is scoped by merchant so that
tenancy holds in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import (
    Binding,
    Code,
    CodeEvent,
    IdempotencyRecord,
    Item,
    Listing,
    Merchant,
    Order,
    OutboxMessage,
    OutboxRow,
    Redemption,
    Store,
    TemplateRow,
    Tender,
    Terminal,
    User,
)
from voucherbridge.domain.vouchers import CodeStatus


class MerchantRepo(Protocol):
    def get(self, merchant_id: int) -> Merchant | None: ...
    def add(self, *, name: str, timezone: str, now: datetime) -> int: ...


class StoreRepo(Protocol):
    def get(self, merchant_id: int, store_id: int) -> Store | None: ...
    def list(self, merchant_id: int, only: frozenset[int] | None = None) -> list[Store]: ...
    def add(
        self, merchant_id: int, *, name: str, brand: str, address: str, now: datetime
    ) -> int: ...
    def update(self, merchant_id: int, store_id: int, values: dict[str, Any]) -> None: ...


class ItemRepo(Protocol):
    def list(self, merchant_id: int) -> list[Item]: ...
    def get(self, merchant_id: int, item_code: str) -> Item | None: ...
    def add(
        self,
        merchant_id: int,
        *,
        item_code: str,
        name: str,
        unit: str,
        unit_price_fen: int,
        now: datetime,
    ) -> int: ...
    def update(self, merchant_id: int, item_code: str, values: dict[str, Any]) -> None: ...


class TerminalRepo(Protocol):
    def by_key_hash(self, key_hash: str) -> Terminal | None: ...
    def get(self, merchant_id: int, terminal_id: int) -> Terminal | None: ...
    def list(
        self, merchant_id: int, only_stores: frozenset[int] | None = None
    ) -> list[Terminal]: ...
    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        name: str,
        key_prefix: str,
        key_hash: str,
        now: datetime,
    ) -> int: ...
    def revoke(self, merchant_id: int, terminal_id: int, now: datetime) -> None: ...


class UserRepo(Protocol):
    def by_username(self, username: str) -> User | None: ...
    def get(self, merchant_id: int, user_id: int) -> User | None: ...
    def list(self, merchant_id: int) -> list[User]: ...
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
    ) -> int: ...
    def update(self, merchant_id: int, user_id: int, values: dict[str, Any]) -> None: ...
    def add_token(
        self, user_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None: ...
    def by_token(self, token_hash: str, now: datetime) -> User | None: ...
    def revoke_tokens(self, user_id: int, now: datetime) -> None: ...


class TemplateRepo(Protocol):
    def get(self, merchant_id: int, template_id: int) -> TemplateRow | None: ...
    def list(self, merchant_id: int) -> list[TemplateRow]: ...
    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int: ...
    def update(
        self, merchant_id: int, template_id: int, values: dict[str, Any], now: datetime
    ) -> None: ...


class ListingRepo(Protocol):
    def get(self, merchant_id: int, listing_id: int) -> Listing | None: ...
    def by_public_id(self, public_id: str) -> Listing | None: ...
    def list(self, merchant_id: int) -> list[Listing]: ...
    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int: ...
    def update(self, merchant_id: int, listing_id: int, values: dict[str, Any]) -> None: ...
    def has_codes(self, listing_id: int) -> bool: ...


class CodeRepo(Protocol):
    def find(self, merchant_id: int, code: str) -> Code | None: ...
    def get(self, merchant_id: int, code_id: int) -> Code | None: ...
    def exists(self, code: str) -> bool: ...
    def find_order(self, merchant_id: int, platform: str, platform_order_id: str) -> int | None: ...
    def add_order(
        self,
        merchant_id: int,
        *,
        listing_id: int,
        platform: str,
        platform_order_id: str,
        quantity: int,
        buyer_openid: str | None,
        now: datetime,
    ) -> int: ...
    def add(
        self,
        merchant_id: int,
        *,
        code: str,
        listing_id: int,
        template_id: int,
        code_order_id: int,
        platform: str,
        valid_from: datetime,
        valid_until: datetime,
        now: datetime,
    ) -> int: ...
    def of_order(self, code_order_id: int) -> list[Code]: ...
    def compare_and_set(
        self, code_id: int, expected: CodeStatus, target: CodeStatus, now: datetime
    ) -> bool: ...
    def add_event(self, merchant_id: int, code_id: int, event: CodeEvent) -> None: ...
    def events(self, merchant_id: int, code_id: int) -> list[CodeEvent]: ...


class OrderRepo(Protocol):
    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        terminal_id: int | None,
        table_no: str,
        guests: int,
        service_fee_fen: int,
        total_fen: int,
        lines: Sequence[OrderLine],
        now: datetime,
        order_no_prefix: str,
    ) -> int: ...
    def get(self, merchant_id: int, order_id: int) -> Order | None: ...
    def lock_open(self, merchant_id: int, order_id: int) -> bool: ...
    def close(
        self, merchant_id: int, order_id: int, *, now: datetime, cashier: str, change_fen: int
    ) -> bool: ...
    def reopen(self, merchant_id: int, order_id: int) -> bool: ...
    def count_print(self, merchant_id: int, order_id: int) -> int: ...
    def add_tenders(self, order_id: int, tenders: Sequence[Tender], now: datetime) -> None: ...
    def tenders(self, order_id: int) -> list[Tender]: ...
    def void_tenders(self, order_id: int) -> None: ...


class RedemptionRepo(Protocol):
    def add(self, values: dict[str, Any]) -> int: ...
    def get(self, merchant_id: int, public_id: str) -> Redemption | None: ...
    def by_id(self, redemption_id: int) -> Redemption | None: ...
    def active_for_order(self, order_id: int) -> list[Redemption]: ...
    def latest_for_code(self, code_id: int) -> Redemption | None: ...
    def mark_reversed(self, redemption_id: int, now: datetime, reason: str | None) -> bool: ...


class IdempotencyRepo(Protocol):
    def get(self, terminal_id: int, key: str) -> IdempotencyRecord | None: ...
    def add(self, record: IdempotencyRecord, now: datetime) -> None: ...


class OutboxRepo(Protocol):
    def add(self, message: OutboxMessage, now: datetime) -> None: ...
    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[OutboxRow]: ...
    def mark_delivered(self, outbox_id: int, now: datetime) -> None: ...
    def reschedule(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None: ...
    def mark_dead(self, outbox_id: int, error: str) -> None: ...
    def retry(self, merchant_id: int, outbox_id: int, now: datetime) -> bool: ...
    def get(self, merchant_id: int, outbox_id: int) -> OutboxRow | None: ...
    def list(self, merchant_id: int, status: str | None, limit: int) -> list[OutboxRow]: ...
    def counts(self, merchant_id: int) -> dict[str, int]: ...


class BindingRepo(Protocol):
    def is_bound(self, store_id: int, platform: str) -> bool: ...
    def get(self, merchant_id: int, store_id: int, platform: str) -> Binding | None: ...
    def by_platform_store(self, platform: str, platform_store_id: str) -> Binding | None: ...
    def list(self, merchant_id: int, only_stores: frozenset[int] | None) -> list[Binding]: ...
    def save(
        self,
        merchant_id: int,
        *,
        store_id: int,
        platform: str,
        platform_store_id: str,
        secret_sealed: str,
        status: str,
        last_error: str | None,
        now: datetime,
    ) -> None: ...


class AuditRepo(Protocol):
    def add(
        self,
        merchant_id: int | None,
        *,
        actor_type: str,
        actor_id: str,
        action: str,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None: ...


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without `commit()` rolls back."""

    merchants: MerchantRepo
    stores: StoreRepo
    items: ItemRepo
    terminals: TerminalRepo
    users: UserRepo
    templates: TemplateRepo
    listings: ListingRepo
    codes: CodeRepo
    orders: OrderRepo
    redemptions: RedemptionRepo
    idempotency: IdempotencyRepo
    outbox: OutboxRepo
    bindings: BindingRepo
    audit: AuditRepo

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work; `write=True` takes the write lock up front on SQLite."""

    def __call__(self, *, write: bool = False) -> UnitOfWork: ...


Clock = Callable[[], datetime]
