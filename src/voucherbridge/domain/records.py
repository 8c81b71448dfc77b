"""Plain records the services read and write through the unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from voucherbridge.domain.codes import CodeType, Platform
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.vouchers import CodeStatus, Template, ValidityMode


@dataclass(frozen=True, slots=True)
class Merchant:
    id: int
    name: str
    timezone: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Store:
    id: int
    merchant_id: int
    name: str
    brand: str
    address: str
    active: bool
    receipt_title: str | None = None
    opening_hours: str | None = None  # "10:00-22:00"; alerts flag redemptions outside it

    @property
    def printed_title(self) -> str:
        """The receipt header: 右姑娘火锅(皇岗店), unless the merchant set its own."""
        if self.receipt_title:
            return self.receipt_title
        return f"{self.brand}({self.name})" if self.brand else self.name


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    merchant_id: int
    item_code: str
    name: str
    unit: str
    unit_price_fen: int
    active: bool


@dataclass(frozen=True, slots=True)
class Terminal:
    id: int
    merchant_id: int
    store_id: int
    name: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    timezone: str = "Asia/Shanghai"  # the merchant's, read with the key: no extra query
    user_id: int | None = None  # a cashier's web terminal (cashier page session); None: a till


@dataclass(frozen=True, slots=True)
class User:
    id: int
    merchant_id: int
    username: str
    display_name: str
    password_hash: str
    role: str
    store_ids: frozenset[int]
    active: bool


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """A template as stored: the domain `Template` plus validity and bookkeeping."""

    template: Template
    package_price_fen: int
    validity_mode: ValidityMode
    valid_from: date | None
    valid_to: date | None
    valid_days: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Listing:
    id: int
    merchant_id: int
    public_id: str
    template_id: int
    platform: Platform
    code_type: CodeType
    title: str
    platform_product_id: str | None
    reversal_window_minutes: int | None
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Code:
    id: int
    merchant_id: int
    code: str
    listing_id: int
    template_id: int
    code_order_id: int
    platform: Platform
    status: CodeStatus
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    redeemed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    merchant_id: int
    store_id: int
    terminal_id: int | None
    order_no: str
    table_no: str
    guests: int
    service_fee_fen: int
    total_fen: int
    status: str
    opened_at: datetime
    closed_at: datetime | None
    lines: tuple[OrderLine, ...] = ()
    cashier: str = ""
    change_fen: int = 0
    print_count: int = 0


@dataclass(frozen=True, slots=True)
class Tender:
    """A payment recorded at checkout; `member` holds what the POS reported for a card."""

    seq: int
    type: str
    amount_fen: int
    reference: str | None
    member: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Redemption:
    id: int
    public_id: str
    merchant_id: int
    store_id: int
    terminal_id: int | None
    order_id: int
    code_id: int
    code: str
    platform: Platform
    template_id: int
    kind: str
    name: str
    stackable: bool
    discount_fen: int
    allocations: dict[int, int]
    status: str
    redeemed_at: datetime
    reversible_until: datetime
    reversed_at: datetime | None
    reverse_reason: str | None
    # What the platform needs to undo a platform-code verify (certificate_id, verify_id, ...).
    platform_ref: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    terminal_id: int
    key: str
    request_hash: str
    redemption_id: int
    response: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CodeEvent:
    event: str
    at: datetime
    store_id: int | None
    order_id: int | None
    redemption_id: int | None
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    merchant_id: int
    topic: str
    destination: str
    dedupe_key: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A side effect waiting for, or done with, delivery by the worker."""

    id: int
    merchant_id: int
    topic: str
    destination: str
    dedupe_key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Binding:
    """A store bound to a platform store (绑定: platform store id + sealed secret; for Douyin,
    whose one app the merchant authorizes, the authorizing account instead of a secret)."""

    id: int
    merchant_id: int
    store_id: int
    platform: str
    platform_store_id: str
    secret_sealed: str
    status: str
    last_error: str | None
    bound_at: datetime | None
    account_id: str = ""
