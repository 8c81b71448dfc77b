"""The item catalogue (菜品 / 商品): one per merchant, kept by HQ, read by everyone.

The item code is the key the till rings up and templates refer to, so it never changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from voucherbridge.audit.record import record_admin_change
from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.core.actor import CHAIN_WIDE, Actor
from voucherbridge.core.commands import UNSET, Maybe
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Item

MAX_FEN = 100_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemView:
    """An item as the API, the console and the cashier page show it (and the audit row keeps)."""

    id: int
    item_code: str
    name: str
    unit: str
    unit_price_fen: int
    active: bool

    @classmethod
    def of(cls, item: Item) -> ItemView:
        return cls(
            id=item.id,
            item_code=item.item_code,
            name=item.name,
            unit=item.unit,
            unit_price_fen=item.unit_price_fen,
            active=item.active,
        )


@dataclass(frozen=True, kw_only=True)
class ItemChanges:
    """An edit of an item: a field left UNSET stays as it is (the item code never changes)."""

    name: Maybe[str] = UNSET
    unit: Maybe[str] = UNSET
    unit_price_fen: Maybe[int] = UNSET
    active: Maybe[bool] = UNSET


def create_item(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item_code: str,
    name: str,
    unit: str = "份",
    unit_price_fen: int,
    now: datetime,
) -> ItemView:
    """Add an item to the catalogue (HQ only); an item code that exists is a conflict."""
    actor.require_change(CHAIN_WIDE)  # one catalogue for every store's till
    code = _item_code(item_code)
    clean_name = _text(name, "name", 100)
    clean_unit = _text(unit, "unit", 16)
    price = _fen(unit_price_fen)
    with uow:
        if uow.repo(ItemRepo).get(actor.merchant_id, code) is not None:
            raise DomainError(ErrorCode.CONFLICT, what="item", item_code=code)
        uow.repo(ItemRepo).add(
            actor.merchant_id,
            item_code=code,
            name=clean_name,
            unit=clean_unit,
            unit_price_fen=price,
            now=now,
        )
        item = uow.repo(ItemRepo).get(actor.merchant_id, code)
        assert item is not None
        view = ItemView.of(item)
        record_admin_change(uow, actor, "item.create", code, None, asdict(view), now)
        uow.commit()
        return view


def update_item(
    uow: UnitOfWork, *, actor: Actor, item_code: str, changes: ItemChanges, now: datetime
) -> ItemView:
    """Change an item's name, unit, price or active flag (HQ only)."""
    actor.require_change(CHAIN_WIDE)  # one catalogue for every store's till
    values: dict[str, Any] = {}  # column -> checked value, for ItemRepo.update
    if changes.name is not UNSET:
        values["name"] = _text(changes.name, "name", 100)
    if changes.unit is not UNSET:
        values["unit"] = _text(changes.unit, "unit", 16)
    if changes.unit_price_fen is not UNSET:
        values["unit_price_fen"] = _fen(changes.unit_price_fen)
    if changes.active is not UNSET:
        values["active"] = _flag(changes.active, "active")
    with uow:
        item = uow.repo(ItemRepo).get(actor.merchant_id, item_code)
        if item is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="item")
        before = ItemView.of(item)
        if values:
            uow.repo(ItemRepo).update(actor.merchant_id, item.item_code, values)
        updated = uow.repo(ItemRepo).get(actor.merchant_id, item.item_code)
        assert updated is not None
        view = ItemView.of(updated)
        if view != before:
            record_admin_change(
                uow, actor, "item.update", item.item_code, asdict(before), asdict(view), now
            )
        uow.commit()
        return view


def list_items(uow: UnitOfWork, *, actor: Actor) -> list[ItemView]:
    """The merchant's whole catalogue; every console user may read it."""
    with uow:
        return [ItemView.of(i) for i in uow.repo(ItemRepo).list(actor.merchant_id)]


def _item_code(value: Any) -> str:
    if not isinstance(value, str):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_code")
    code = value.strip()
    if not code or len(code) > 64 or any(ch.isspace() or not ch.isprintable() for ch in code):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_code")
    return code


def _flag(value: object, field: str) -> bool:
    """A yes/no field takes only true or false (not 1, "yes" or "on")."""
    if not isinstance(value, bool):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return value


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return value.strip()


def _fen(value: Any) -> int:
    """Money is a whole number of fen: floats and booleans are refused, not rounded."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="unit_price_fen")
    return value
