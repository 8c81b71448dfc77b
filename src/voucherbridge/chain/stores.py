"""Stores (门店) of a merchant: HQ creates them; HQ or the store's own manager edits them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from voucherbridge.audit.record import record_admin_change, reject_unknown_fields
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.alerts import parse_opening_hours
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Store

MANAGER_ROLES = frozenset({"hq_admin", "store_manager"})
EDITABLE = ("name", "brand", "address", "receipt_title", "active", "opening_hours")
LIMITS = {"name": 100, "brand": 100, "address": 200, "receipt_title": 100, "opening_hours": 100}


def require_manager(actor: Actor) -> None:
    """Cashier accounts may read the console data but never change it."""
    actor.require_manager()


def store_view(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "name": store.name,
        "brand": store.brand,
        "address": store.address,
        "receipt_title": store.receipt_title,
        "printed_title": store.printed_title,
        "active": store.active,
        "opening_hours": store.opening_hours,
    }


def create_store(
    uow: UnitOfWork,
    *,
    actor: Actor,
    name: str,
    brand: str = "",
    address: str = "",
    now: datetime,
) -> dict[str, Any]:
    """Open a new store for the chain (HQ only); store names are unique per merchant."""
    actor.require_hq()
    clean_name = _text(name, "name", required=True)
    clean_brand = _text(brand, "brand")
    clean_address = _text(address, "address")
    with uow:
        _refuse_duplicate_name(uow, actor, clean_name, except_id=None)
        store_id = uow.repo(StoreRepo).add(
            actor.merchant_id, name=clean_name, brand=clean_brand, address=clean_address, now=now
        )
        store = uow.repo(StoreRepo).get(actor.merchant_id, store_id)
        assert store is not None
        view = store_view(store)
        record_admin_change(uow, actor, "store.create", store_id, None, view, now)
        uow.commit()
        return view


def update_store(
    uow: UnitOfWork, *, actor: Actor, store_id: int, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Edit a store's name, brand, address or receipt title; only HQ opens or closes a store."""
    require_manager(actor)
    reject_unknown_fields(changes, EDITABLE)
    values: dict[str, Any] = {}
    for key in ("name", "brand", "address"):
        if key in changes:
            values[key] = _text(changes[key], key, required=key == "name")
    if "receipt_title" in changes:
        values["receipt_title"] = _text(changes["receipt_title"], "receipt_title") or None
    if "opening_hours" in changes:
        values["opening_hours"] = _opening_hours(changes["opening_hours"])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
        values["active"] = changes["active"]
    with uow:
        store = _get_managed(uow, actor, store_id)
        if "active" in values and values["active"] != store.active:
            actor.require_hq()
        if "name" in values and values["name"] != store.name:
            _refuse_duplicate_name(uow, actor, values["name"], except_id=store.id)
        before = store_view(store)
        if values:
            uow.repo(StoreRepo).update(actor.merchant_id, store.id, values)
        updated = uow.repo(StoreRepo).get(actor.merchant_id, store.id)
        assert updated is not None
        view = store_view(updated)
        if view != before:
            record_admin_change(uow, actor, "store.update", store.id, before, view, now)
        uow.commit()
        return view


def list_stores(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Every store of the chain for HQ; a manager sees only their own."""
    with uow:
        return [
            store_view(s) for s in uow.repo(StoreRepo).list(actor.merchant_id, only=actor.store_ids)
        ]


def get_store(uow: UnitOfWork, *, actor: Actor, store_id: int) -> dict[str, Any]:
    """One store, if the actor may see it."""
    with uow:
        return store_view(_get_managed(uow, actor, store_id))


def _get_managed(uow: UnitOfWork, actor: Actor, store_id: int) -> Store:
    store = uow.repo(StoreRepo).get(actor.merchant_id, store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    actor.require_store(store.id)
    return store


def _refuse_duplicate_name(
    uow: UnitOfWork, actor: Actor, name: str, *, except_id: int | None
) -> None:
    if any(
        s.name == name and s.id != except_id for s in uow.repo(StoreRepo).list(actor.merchant_id)
    ):
        raise DomainError(ErrorCode.CONFLICT, what="store", field="name")


def _opening_hours(value: Any) -> str | None:
    """Readable hours or nothing (None: never alert); a typo must not silence the alert."""
    text = _text(value, "opening_hours")
    try:
        parse_opening_hours(text)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="opening_hours") from exc
    return text or None


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    text = value.strip()
    if (required and not text) or len(text) > LIMITS[field]:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return text
