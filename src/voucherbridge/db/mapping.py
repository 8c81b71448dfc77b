"""Rows to records: the only place that knows both the table columns and the record fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from sqlalchemy import Row

from voucherbridge.domain.codes import CodeType, Platform
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import (
    Code,
    Item,
    Listing,
    Merchant,
    Order,
    Redemption,
    Store,
    TemplateRow,
    Terminal,
    User,
)
from voucherbridge.domain.vouchers import (
    CodeStatus,
    Template,
    TimeWindow,
    UsageRules,
    ValidityMode,
    VoucherKind,
)


def merchant(row: Row[Any]) -> Merchant:
    return Merchant(row.id, row.name, row.timezone, row.active)


def store(row: Row[Any]) -> Store:
    return Store(
        row.id,
        row.merchant_id,
        row.name,
        row.brand,
        row.address,
        row.active,
        row.receipt_title,
        row.opening_hours,
    )


def item(row: Row[Any]) -> Item:
    return Item(
        row.id, row.merchant_id, row.item_code, row.name, row.unit, row.unit_price_fen, row.active
    )


def terminal(row: Row[Any]) -> Terminal:
    return Terminal(
        row.id,
        row.merchant_id,
        row.store_id,
        row.name,
        row.key_prefix,
        row.created_at,
        row.revoked_at,
        getattr(row, "timezone", None) or "Asia/Shanghai",
        row.user_id,
    )


def user(row: Row[Any]) -> User:
    return User(
        row.id,
        row.merchant_id,
        row.username,
        row.display_name,
        row.password_hash,
        row.role,
        frozenset(row.store_ids or ()),
        row.active,
    )


def windows_from_json(raw: list[dict[str, str]]) -> tuple[TimeWindow, ...]:
    return tuple(
        TimeWindow(time.fromisoformat(w["start"]), time.fromisoformat(w["end"])) for w in raw
    )


def windows_to_json(windows: tuple[TimeWindow, ...]) -> list[dict[str, str]]:
    return [{"start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"} for w in windows]


def template(row: Row[Any]) -> TemplateRow:
    domain = Template(
        id=row.id,
        merchant_id=row.merchant_id,
        kind=VoucherKind(row.kind),
        name=row.name,
        face_value_fen=row.face_value_fen,
        price_fen=row.price_fen,
        item_codes=tuple(row.item_codes or ()),
        min_spend_fen=row.min_spend_fen,
        store_ids=frozenset(row.store_ids or ()),
        usage=UsageRules(frozenset(row.weekdays or ()), windows_from_json(row.time_windows or [])),
        per_order_limit=row.per_order_limit,
        stackable=row.stackable,
    )
    return TemplateRow(
        template=domain,
        package_price_fen=row.package_price_fen,
        validity_mode=ValidityMode(row.validity_mode),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        valid_days=row.valid_days,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def listing(row: Row[Any]) -> Listing:
    return Listing(
        row.id,
        row.merchant_id,
        row.public_id,
        row.template_id,
        Platform(row.platform),
        CodeType(row.code_type),
        row.title,
        row.platform_product_id,
        row.reversal_window_minutes,
        row.active,
        row.created_at,
    )


def code(row: Row[Any]) -> Code:
    return Code(
        row.id,
        row.merchant_id,
        row.code,
        row.listing_id,
        row.template_id,
        row.code_order_id,
        Platform(row.platform),
        CodeStatus(row.status),
        row.valid_from,
        row.valid_until,
        row.issued_at,
        row.redeemed_at,
    )


def order_line(row: Row[Any]) -> OrderLine:
    return OrderLine(
        row.line_no, row.item_code, row.name, row.quantity, row.unit_price_fen, row.unit
    )


def order_line_rows(order_id: int, lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    """The order_lines rows of `lines` (the inverse of `order_line`)."""
    return [
        {
            "order_id": order_id,
            "line_no": ln.line_no,
            "item_code": ln.item_code,
            "name": ln.name,
            "unit": ln.unit,
            "quantity": ln.quantity,
            "unit_price_fen": ln.unit_price_fen,
        }
        for ln in lines
    ]


def order(row: Row[Any], lines: tuple[OrderLine, ...]) -> Order:
    return Order(
        row.id,
        row.merchant_id,
        row.store_id,
        row.terminal_id,
        row.order_no,
        row.table_no,
        row.guests,
        row.service_fee_fen,
        row.total_fen,
        row.status,
        row.opened_at,
        row.closed_at,
        lines,
        row.cashier,
        row.change_fen,
        row.print_count,
    )


def redemption(row: Row[Any]) -> Redemption:
    return Redemption(
        id=row.id,
        public_id=row.public_id,
        merchant_id=row.merchant_id,
        store_id=row.store_id,
        terminal_id=row.terminal_id,
        order_id=row.order_id,
        code_id=row.code_id,
        code=row.code,
        platform=Platform(row.platform),
        template_id=row.template_id,
        kind=row.kind,
        name=row.name,
        stackable=row.stackable,
        discount_fen=row.discount_fen,
        allocations={int(k): int(v) for k, v in (row.allocations or {}).items()},
        status=row.status,
        redeemed_at=row.redeemed_at,
        reversible_until=row.reversible_until,
        reversed_at=row.reversed_at,
        reverse_reason=row.reverse_reason,
        platform_ref=row.platform_ref,
    )
