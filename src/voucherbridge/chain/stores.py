"""Stores (门店) of a merchant: HQ creates them; HQ or the store's own manager edits them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import CHAIN_WIDE, Actor
from voucherbridge.core.commands import UNSET, Maybe
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.alerts import parse_opening_hours
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Store

MANAGER_ROLES = frozenset({"hq_admin", "store_manager"})
LIMITS = {"name": 100, "brand": 100, "address": 200, "receipt_title": 100, "opening_hours": 100}


def require_manager(actor: Actor) -> None:
    """Cashier accounts may read the console data but never change it."""
    actor.require_manager()


@dataclass(frozen=True, kw_only=True)
class StoreView:
    """A store as the console and the admin API show it (and its audit rows record it)."""

    id: int
    name: str
    brand: str
    address: str
    receipt_title: str | None
    printed_title: str
    active: bool
    opening_hours: str | None

    @classmethod
    def of(cls, store: Store) -> StoreView:
        return cls(
            id=store.id,
            name=store.name,
            brand=store.brand,
            address=store.address,
            receipt_title=store.receipt_title,
            printed_title=store.printed_title,
            active=store.active,
            opening_hours=store.opening_hours,
        )


@dataclass(frozen=True, kw_only=True)
class StoreChanges:
    """An edit of a store: only the fields set are changed (None clears the receipt title or
    the opening hours; UNSET leaves a field as it is)."""

    name: Maybe[str] = UNSET
    brand: Maybe[str] = UNSET
    address: Maybe[str] = UNSET
    receipt_title: Maybe[str | None] = UNSET
    active: Maybe[bool] = UNSET
    opening_hours: Maybe[str | None] = UNSET


def create_store(
    uow: UnitOfWork,
    *,
    actor: Actor,
    name: str,
    brand: str = "",
    address: str = "",
    now: datetime,
) -> StoreView:
    """Open a new store for the chain (HQ only); store names are unique per merchant."""
    actor.require_change(CHAIN_WIDE)  # a new store is in nobody's store list yet
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
        view = StoreView.of(store)
        record_admin_change(uow, actor, "store.create", store_id, None, asdict(view), now)
        uow.commit()
        return view


def update_store(
    uow: UnitOfWork, *, actor: Actor, store_id: int, changes: StoreChanges, now: datetime
) -> StoreView:
    """Edit a store's name, brand, address or receipt title; only HQ opens or closes a store."""
    require_manager(actor)
    values: dict[str, Any] = {}  # column -> checked value, for StoreRepo.update
    if changes.name is not UNSET:
        values["name"] = _text(changes.name, "name", required=True)
    if changes.brand is not UNSET:
        values["brand"] = _text(changes.brand, "brand")
    if changes.address is not UNSET:
        values["address"] = _text(changes.address, "address")
    if changes.receipt_title is not UNSET:
        values["receipt_title"] = _text(changes.receipt_title, "receipt_title") or None
    if changes.opening_hours is not UNSET:
        values["opening_hours"] = _opening_hours(changes.opening_hours)
    if changes.active is not UNSET:
        if not isinstance(changes.active, bool):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
        values["active"] = changes.active
    with uow:
        store = _get_managed(uow, actor, store_id)
        actor.require_change(frozenset({store.id}))
        if "active" in values and values["active"] != store.active:
            actor.require_hq()
        if "name" in values and values["name"] != store.name:
            _refuse_duplicate_name(uow, actor, values["name"], except_id=store.id)
        before = StoreView.of(store)
        if values:
            uow.repo(StoreRepo).update(actor.merchant_id, store.id, values)
        updated = uow.repo(StoreRepo).get(actor.merchant_id, store.id)
        assert updated is not None
        view = StoreView.of(updated)
        if view != before:
            record_admin_change(
                uow, actor, "store.update", store.id, asdict(before), asdict(view), now
            )
        uow.commit()
        return view


def list_stores(uow: UnitOfWork, *, actor: Actor) -> list[StoreView]:
    """Every store of the chain for HQ; a manager sees only their own."""
    with uow:
        rows = uow.repo(StoreRepo).list(actor.merchant_id, only=actor.store_ids)
        return [StoreView.of(s) for s in rows]


def get_store(uow: UnitOfWork, *, actor: Actor, store_id: int) -> StoreView:
    """One store, if the actor may see it."""
    with uow:
        return StoreView.of(_get_managed(uow, actor, store_id))


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
    text = _text(value, "opening_hours").replace("，", ",").replace("：", ":")
    try:
        parse_opening_hours(text)
    except ValueError as exc:
        raise DomainError(ErrorCode.OPENING_HOURS_INVALID, field="opening_hours") from exc
    return ",".join(p.strip() for p in text.split(",") if p.strip()) or None


@dataclass(frozen=True, slots=True)
class OpeningRange:
    """One range of opening hours as a person reads it: 17:00 to 02:00 the next day."""

    start: str
    end: str
    next_day: bool


def opening_ranges(text: str | None) -> list[OpeningRange]:
    """A store's opening hours (the alerts' format, 10:00-14:00,17:00-02:00) as ranges to
    show in words; nothing set (or nothing readable) is no ranges: open all day."""
    try:
        ranges = parse_opening_hours(text)
    except ValueError:
        return []
    return [
        OpeningRange(start.strftime("%H:%M"), _end(end), next_day=end <= start and end.hour > 0)
        for start, end in ranges
    ]


def _end(end: time) -> str:
    return "24:00" if end == time(0, 0) else end.strftime("%H:%M")


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    text = value.strip()
    if (required and not text) or len(text) > LIMITS[field]:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return text
