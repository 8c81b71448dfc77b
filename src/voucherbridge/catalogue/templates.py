"""Voucher templates (活动 / 券模板): the rules behind codes, managed from the console."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change, reject_unknown_fields
from voucherbridge.catalogue.repository import ItemRepo, TemplateRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import TemplateRow
from voucherbridge.domain.vouchers import (
    TimeWindow,
    Validity,
    ValidityMode,
    VoucherKind,
    validate_template_shape,
)

UTC_ZONE = ZoneInfo("UTC")
FIELDS = (
    "kind",
    "name",
    "face_value_fen",
    "price_fen",
    "package_price_fen",
    "item_codes",
    "min_spend_fen",
    "store_ids",
    "validity_mode",
    "valid_from",
    "valid_to",
    "valid_days",
    "weekdays",
    "time_windows",
    "per_order_limit",
    "stackable",
    "active",
)
DEFAULTS: dict[str, Any] = {
    "package_price_fen": 0,
    "item_codes": [],
    "min_spend_fen": 0,
    "store_ids": [],
    "valid_from": None,
    "valid_to": None,
    "valid_days": None,
    "weekdays": [],
    "time_windows": [],
    "per_order_limit": 1,
    "stackable": True,
    "active": True,
}


def template_view(row: TemplateRow) -> dict[str, Any]:
    t = row.template
    return {
        "id": t.id,
        "kind": t.kind.value,
        "name": t.name,
        "face_value_fen": t.face_value_fen,
        "price_fen": t.price_fen,
        "package_price_fen": row.package_price_fen,
        "item_codes": list(t.item_codes),
        "min_spend_fen": t.min_spend_fen,
        "store_ids": sorted(t.store_ids),
        "validity_mode": row.validity_mode.value,
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "valid_days": row.valid_days,
        "weekdays": sorted(t.usage.weekdays),
        "time_windows": [
            {"start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"} for w in t.usage.windows
        ],
        "per_order_limit": t.per_order_limit,
        "stackable": t.stackable,
        "active": row.active,
        "created_at": iso(row.created_at, UTC_ZONE),
        "updated_at": iso(row.updated_at, UTC_ZONE),
    }


def create_template(
    uow: UnitOfWork, *, actor: Actor, spec: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Create a template after checking every rule of SPEC flow 2."""
    actor.require_manager()
    reject_unknown_fields(spec, FIELDS)
    values = {**DEFAULTS, **spec}
    with uow:
        clean = _validated(uow, actor, values)
        template_id = uow.repo(TemplateRepo).add(actor.merchant_id, clean, now)
        row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        assert row is not None
        view = template_view(row)
        record_admin_change(uow, actor, "template.create", template_id, None, view, now)
        uow.commit()
        return view


def update_template(
    uow: UnitOfWork, *, actor: Actor, template_id: int, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Change some rules; codes already issued keep their own validity dates."""
    actor.require_manager()
    reject_unknown_fields(changes, FIELDS)
    with uow:
        row = _get_visible(uow, actor, template_id)
        before = template_view(row)
        merged = {k: before[k] for k in FIELDS}
        merged.update(changes)
        clean = _validated(uow, actor, merged)
        uow.repo(TemplateRepo).update(actor.merchant_id, template_id, clean, now)
        updated = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        assert updated is not None
        view = template_view(updated)
        record_admin_change(uow, actor, "template.update", template_id, before, view, now)
        uow.commit()
        return view


def list_templates(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Templates the actor may see: all for HQ, those usable in their stores for managers."""
    with uow:
        rows = uow.repo(TemplateRepo).list(actor.merchant_id)
        return [template_view(r) for r in rows if _visible(actor, r)]


def get_template(uow: UnitOfWork, *, actor: Actor, template_id: int) -> dict[str, Any]:
    with uow:
        return template_view(_get_visible(uow, actor, template_id))


def _visible(actor: Actor, row: TemplateRow) -> bool:
    stores = row.template.store_ids
    return actor.store_ids is None or not stores or bool(stores & actor.store_ids)


def _get_visible(uow: UnitOfWork, actor: Actor, template_id: int) -> TemplateRow:
    row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
    if row is None or not _visible(actor, row):
        raise DomainError(ErrorCode.NOT_FOUND, what="template")
    if actor.store_ids is not None and not (row.template.store_ids <= actor.store_ids):
        raise DomainError(ErrorCode.FORBIDDEN)
    return row


def _validated(uow: UnitOfWork, actor: Actor, v: Mapping[str, Any]) -> dict[str, Any]:
    try:
        kind = VoucherKind(v["kind"])
        mode = ValidityMode(v["validity_mode"])
    except (KeyError, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=str(exc).strip("'")) from exc
    name = str(v.get("name") or "").strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="name")
    money = {
        k: _int(v, k, 0)
        for k in ("face_value_fen", "price_fen", "package_price_fen", "min_spend_fen")
    }
    item_codes = [str(c) for c in v["item_codes"]]
    validate_template_shape(kind, money["face_value_fen"], money["price_fen"], item_codes)
    known = {i.item_code for i in uow.repo(ItemRepo).list(actor.merchant_id)}
    missing = sorted(set(item_codes) - known)
    if missing:
        # Seed 000: the voucher's item code must match the code the till rings up.
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_codes", unknown=missing)
    store_ids = sorted({_int({"s": s}, "s", 1) for s in v["store_ids"]})
    own = {s.id for s in uow.repo(StoreRepo).list(actor.merchant_id)}
    if not set(store_ids) <= own:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    if actor.store_ids is not None and (not store_ids or not set(store_ids) <= actor.store_ids):
        raise DomainError(ErrorCode.FORBIDDEN)
    valid_from, valid_to = _date(v.get("valid_from")), _date(v.get("valid_to"))
    valid_days = _int(v, "valid_days", 1) if v.get("valid_days") is not None else None
    Validity(mode, valid_from, valid_to, valid_days)  # raises on inconsistent dates
    weekdays = sorted({_int({"d": d}, "d", 1) for d in v["weekdays"]})
    if any(d > 7 for d in weekdays):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="weekdays")
    windows = [_window(w) for w in v["time_windows"]]
    limit = _int(v, "per_order_limit", 1)
    if limit > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="per_order_limit")
    return {
        "kind": kind.value,
        "name": name,
        **money,
        "item_codes": item_codes,
        "store_ids": store_ids,
        "validity_mode": mode.value,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "valid_days": valid_days,
        "weekdays": weekdays,
        "time_windows": [{"start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"} for w in windows],
        "per_order_limit": limit,
        "stackable": bool(v["stackable"]),
        "active": bool(v["active"]),
    }


def _int(values: Mapping[str, Any], key: str, minimum: int) -> int:
    value = values.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 10**11:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=key)
    return value


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="valid_from/valid_to") from exc


def _window(raw: Any) -> TimeWindow:
    try:
        window = TimeWindow(time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="time_windows") from exc
    if window.start == window.end:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="time_windows")
    return window
