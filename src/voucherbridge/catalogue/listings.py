"""Listings (关联): a platform product linked to a template, with a generated listing id.

The listing id is what the merchant pastes into the platform (seed 002: 商家平台商品ID). The code
type can never change once a code exists under the listing (seed 002: 券码类型不可以更改).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change, reject_unknown_fields
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import CodeType, Platform
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Listing

EDITABLE = ("title", "code_type", "platform_product_id", "reversal_window_minutes", "active")
UTC_ZONE = ZoneInfo("UTC")


def listing_view(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.id,
        "public_id": listing.public_id,
        "template_id": listing.template_id,
        "platform": listing.platform.value,
        "code_type": listing.code_type.value,
        "title": listing.title,
        "platform_product_id": listing.platform_product_id,
        "reversal_window_minutes": listing.reversal_window_minutes,
        "active": listing.active,
        "created_at": iso(listing.created_at, UTC_ZONE),
    }


def new_public_id() -> str:
    """16 digits, first one non-zero: pastes cleanly into any platform's numeric id field."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def create_listing(
    uow: UnitOfWork, *, actor: Actor, spec: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Link a platform product to a template; returns the listing with its generated id."""
    actor.require_manager()
    platform = _enum(Platform, spec.get("platform"), "platform")
    code_type = _enum(CodeType, spec.get("code_type", "merchant"), "code_type")
    title = str(spec.get("title") or "").strip()
    if not title or len(title) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="title")
    if platform is Platform.DIRECT and code_type is CodeType.PLATFORM:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="code_type")
    with uow:
        template_id = spec.get("template_id")
        template = (
            uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
            if isinstance(template_id, int)
            else None
        )
        if template is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="template")
        _require_template_scope(actor, template.template.store_ids)
        public_id = new_public_id()
        while uow.repo(ListingRepo).by_public_id(public_id) is not None:
            public_id = new_public_id()
        values = {
            "public_id": public_id,
            "template_id": template.template.id,
            "platform": platform.value,
            "code_type": code_type.value,
            "title": title,
            "platform_product_id": _optional_text(spec.get("platform_product_id")),
            "reversal_window_minutes": _window(spec.get("reversal_window_minutes")),
            "active": True,
        }
        listing_id = uow.repo(ListingRepo).add(actor.merchant_id, values, now)
        listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
        assert listing is not None
        view = listing_view(listing)
        record_admin_change(uow, actor, "listing.create", listing_id, None, view, now)
        uow.commit()
        return view


def update_listing(
    uow: UnitOfWork, *, actor: Actor, listing_id: int, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Edit a listing; changing the code type after a code was issued is refused."""
    actor.require_manager()
    reject_unknown_fields(changes, EDITABLE)
    with uow:
        listing = _get_visible(uow, actor, listing_id)
        values: dict[str, Any] = {}
        if "code_type" in changes:
            code_type = _enum(CodeType, changes["code_type"], "code_type")
            if code_type is not listing.code_type:
                if uow.repo(ListingRepo).has_codes(listing.id):
                    raise DomainError(ErrorCode.CODE_TYPE_IMMUTABLE, listing_id=listing.public_id)
                values["code_type"] = code_type.value
        if "title" in changes:
            title = str(changes["title"] or "").strip()
            if not title or len(title) > 100:
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="title")
            values["title"] = title
        if "platform_product_id" in changes:
            values["platform_product_id"] = _optional_text(changes["platform_product_id"])
        if "reversal_window_minutes" in changes:
            values["reversal_window_minutes"] = _window(changes["reversal_window_minutes"])
        if "active" in changes:
            values["active"] = bool(changes["active"])
        before = listing_view(listing)
        if values:
            uow.repo(ListingRepo).update(actor.merchant_id, listing.id, values)
        updated = uow.repo(ListingRepo).get(actor.merchant_id, listing.id)
        assert updated is not None
        view = listing_view(updated)
        record_admin_change(uow, actor, "listing.update", listing.id, before, view, now)
        uow.commit()
        return view


def list_listings(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    with uow:
        listings = uow.repo(ListingRepo).list(actor.merchant_id)
        if actor.store_ids is None:
            return [listing_view(listing) for listing in listings]
        visible = {
            row.template.id
            for row in uow.repo(TemplateRepo).list(actor.merchant_id)
            if not row.template.store_ids or row.template.store_ids & actor.store_ids
        }
        return [listing_view(li) for li in listings if li.template_id in visible]


def get_listing(uow: UnitOfWork, *, actor: Actor, listing_id: int) -> dict[str, Any]:
    with uow:
        return listing_view(_get_visible(uow, actor, listing_id))


def _get_visible(uow: UnitOfWork, actor: Actor, listing_id: int) -> Listing:
    listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
    if listing is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="listing")
    template = uow.repo(TemplateRepo).get(actor.merchant_id, listing.template_id)
    assert template is not None
    _require_template_scope(actor, template.template.store_ids)
    return listing


def _require_template_scope(actor: Actor, store_ids: frozenset[int]) -> None:
    """Managers may only touch templates confined to their own stores."""
    if actor.store_ids is not None and (not store_ids or not store_ids <= actor.store_ids):
        raise DomainError(ErrorCode.FORBIDDEN)


def _enum(kind: type[Platform] | type[CodeType], value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field) from exc


def _optional_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if len(text) > 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform_product_id")
    return text


def _window(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 7 * 24 * 60:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="reversal_window_minutes")
    return value
