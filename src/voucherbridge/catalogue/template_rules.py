"""The rules of a voucher template (SPEC flow 2), checked in one place for create and edit.

`checked` turns the rules a template asks for (a `TemplateSpec`, new or merged with an edit)
into the columns TemplateRepo stores, or raises the error of the first rule broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING, TypedDict

from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.vouchers import (
    TimeWindow,
    Validity,
    ValidityMode,
    VoucherKind,
    validate_template_shape,
)

if TYPE_CHECKING:
    from voucherbridge.catalogue.templates import TemplateSpec


class ClockWindow(TypedDict):
    """A time of day a template may be used, as requests, views and the stored row carry it:
    {"start": "11:00", "end": "14:00"} (HH:MM)."""

    start: str
    end: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateColumns:
    """A checked template, column by column, as TemplateRepo stores it."""

    kind: str
    name: str
    face_value_fen: int
    price_fen: int
    package_price_fen: int
    min_spend_fen: int
    item_codes: list[str]
    store_ids: list[int]
    validity_mode: str
    valid_from: date | None
    valid_to: date | None
    valid_days: int | None
    weekdays: list[int]
    time_windows: list[ClockWindow]
    per_order_limit: int
    stackable: bool
    active: bool


def checked(uow: UnitOfWork, actor: Actor, v: TemplateSpec) -> TemplateColumns:
    """Every rule, in a fixed order (the first one broken names the field); the items and
    stores named must be the merchant's. Who may save the result is the caller's question
    (`Actor.require_change`), asked of the template as it was and as it would be."""
    try:
        kind = VoucherKind(v.kind)
        mode = ValidityMode(v.validity_mode)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=str(exc).strip("'")) from exc
    name = str(v.name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="name")
    face_value_fen = _int(v.face_value_fen, "face_value_fen", 0)
    price_fen = _int(v.price_fen, "price_fen", 0)
    package_price_fen = _int(v.package_price_fen, "package_price_fen", 0)
    min_spend_fen = _int(v.min_spend_fen, "min_spend_fen", 0)
    item_codes = [str(c) for c in v.item_codes]
    validate_template_shape(kind, face_value_fen, price_fen, item_codes)
    known = {i.item_code for i in uow.repo(ItemRepo).list(actor.merchant_id)}
    missing = sorted(set(item_codes) - known)
    if missing:
        # Seed 000: the voucher's item code must match the code the till rings up.
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_codes", unknown=missing)
    store_ids = sorted({_int(s, "s", 1) for s in v.store_ids})
    own = {s.id for s in uow.repo(StoreRepo).list(actor.merchant_id)}
    if not set(store_ids) <= own:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    valid_from, valid_to = _date(v.valid_from), _date(v.valid_to)
    valid_days = _int(v.valid_days, "valid_days", 1) if v.valid_days is not None else None
    Validity(mode, valid_from, valid_to, valid_days)  # raises on inconsistent dates
    weekdays = sorted({_int(d, "d", 1) for d in v.weekdays})
    if any(d > 7 for d in weekdays):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="weekdays")
    windows = [_window(w) for w in v.time_windows]
    limit = _int(v.per_order_limit, "per_order_limit", 1)
    if limit > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="per_order_limit")
    return TemplateColumns(
        kind=kind.value,
        name=name,
        face_value_fen=face_value_fen,
        price_fen=price_fen,
        package_price_fen=package_price_fen,
        min_spend_fen=min_spend_fen,
        item_codes=item_codes,
        store_ids=store_ids,
        validity_mode=mode.value,
        valid_from=valid_from,
        valid_to=valid_to,
        valid_days=valid_days,
        weekdays=weekdays,
        time_windows=[clock_window(w) for w in windows],
        per_order_limit=limit,
        stackable=bool(v.stackable),
        active=bool(v.active),
    )


def _int(value: object, field: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 10**11:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field)
    return value


def clock_window(window: TimeWindow) -> ClockWindow:
    """A usage window as requests and views write it: {"start": "11:00", "end": "14:00"}."""
    return {"start": f"{window.start:%H:%M}", "end": f"{window.end:%H:%M}"}


def _date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="valid_from/valid_to") from exc


def _window(raw: ClockWindow) -> TimeWindow:
    try:
        window = TimeWindow(time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="time_windows") from exc
    if window.start == window.end:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="time_windows")
    return window
