"""Listings (关联): a platform product linked to a template, with a generated listing id.

The listing id is what the merchant pastes into the platform (seed 002: 商家平台商品ID). The code
type can never change once a code exists under the listing (seed 002: 券码类型不可以更改).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.commands import UNSET, Maybe
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import CodeType, Platform
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Listing

UTC_ZONE = ZoneInfo("UTC")
E = TypeVar("E", Platform, CodeType)


@dataclass(frozen=True, kw_only=True)
class ListingSpec:
    """A new listing: which template a platform product sells, and how its codes are made."""

    template_id: int
    platform: str
    code_type: str = "merchant"
    title: str
    platform_product_id: str | None = None
    reversal_window_minutes: int | None = None


@dataclass(frozen=True, kw_only=True)
class ListingChanges:
    """An edit of a listing: a field left UNSET stays; None clears a nullable one."""

    title: Maybe[str] = UNSET
    code_type: Maybe[str] = UNSET
    platform_product_id: Maybe[str | None] = UNSET
    reversal_window_minutes: Maybe[int | None] = UNSET
    active: Maybe[bool] = UNSET


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingView:
    """A listing as the API and the console show it (and the audit row keeps)."""

    id: int
    public_id: str
    template_id: int
    platform: str
    code_type: str
    title: str
    platform_product_id: str | None
    reversal_window_minutes: int | None
    active: bool
    created_at: str | None

    @classmethod
    def of(cls, listing: Listing) -> ListingView:
        return cls(
            id=listing.id,
            public_id=listing.public_id,
            template_id=listing.template_id,
            platform=listing.platform.value,
            code_type=listing.code_type.value,
            title=listing.title,
            platform_product_id=listing.platform_product_id,
            reversal_window_minutes=listing.reversal_window_minutes,
            active=listing.active,
            created_at=iso(listing.created_at, UTC_ZONE),
        )


def new_public_id() -> str:
    """16 digits, first one non-zero: pastes cleanly into any platform's numeric id field."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def create_listing(
    uow: UnitOfWork, *, actor: Actor, spec: ListingSpec, now: datetime
) -> ListingView:
    """Link a platform product to a template; returns the listing with its generated id."""
    actor.require_manager()
    platform = _enum(Platform, spec.platform, "platform")
    code_type = _enum(CodeType, spec.code_type, "code_type")
    title = str(spec.title or "").strip()
    if not title or len(title) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="title")
    if platform is Platform.DIRECT and code_type is CodeType.PLATFORM:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="code_type")
    with uow:
        template_id = spec.template_id
        template = (
            uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
            if isinstance(template_id, int)
            else None
        )
        if template is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="template")
        # A listing sells its template in the template's stores: it has the template's scope.
        actor.require_change(template.template.store_ids)
        public_id = new_public_id()
        while uow.repo(ListingRepo).by_public_id(public_id) is not None:
            public_id = new_public_id()
        values: dict[str, Any] = {  # the row's columns, as ListingRepo.add takes them
            "public_id": public_id,
            "template_id": template.template.id,
            "platform": platform.value,
            "code_type": code_type.value,
            "title": title,
            "platform_product_id": _optional_text(spec.platform_product_id),
            "reversal_window_minutes": _window(spec.reversal_window_minutes),
            "active": True,
        }
        listing_id = uow.repo(ListingRepo).add(actor.merchant_id, values, now)
        listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
        assert listing is not None
        view = ListingView.of(listing)
        record_admin_change(uow, actor, "listing.create", listing_id, None, asdict(view), now)
        uow.commit()
        return view


def update_listing(
    uow: UnitOfWork, *, actor: Actor, listing_id: int, changes: ListingChanges, now: datetime
) -> ListingView:
    """Edit a listing; changing the code type after a code was issued is refused."""
    actor.require_manager()
    with uow:
        listing, scope = _get_listed(uow, actor, listing_id)
        actor.require_change(scope)
        values: dict[str, Any] = {}  # column -> checked value, for ListingRepo.update
        if changes.code_type is not UNSET:
            code_type = _enum(CodeType, changes.code_type, "code_type")
            if code_type is not listing.code_type:
                if uow.repo(ListingRepo).has_codes(listing.id):
                    raise DomainError(ErrorCode.CODE_TYPE_IMMUTABLE, listing_id=listing.public_id)
                values["code_type"] = code_type.value
        if changes.title is not UNSET:
            title = str(changes.title or "").strip()
            if not title or len(title) > 100:
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="title")
            values["title"] = title
        if changes.platform_product_id is not UNSET:
            values["platform_product_id"] = _optional_text(changes.platform_product_id)
        if changes.reversal_window_minutes is not UNSET:
            values["reversal_window_minutes"] = _window(changes.reversal_window_minutes)
        if changes.active is not UNSET:
            values["active"] = bool(changes.active)
        before = ListingView.of(listing)
        if values:
            uow.repo(ListingRepo).update(actor.merchant_id, listing.id, values)
        updated = uow.repo(ListingRepo).get(actor.merchant_id, listing.id)
        assert updated is not None
        view = ListingView.of(updated)
        record_admin_change(
            uow, actor, "listing.update", listing.id, asdict(before), asdict(view), now
        )
        uow.commit()
        return view


def list_listings(uow: UnitOfWork, *, actor: Actor) -> list[ListingView]:
    with uow:
        listings = uow.repo(ListingRepo).list(actor.merchant_id)
        if actor.store_ids is None:
            return [ListingView.of(listing) for listing in listings]
        visible = {
            row.template.id
            for row in uow.repo(TemplateRepo).list(actor.merchant_id)
            if not row.template.store_ids or row.template.store_ids & actor.store_ids
        }
        return [ListingView.of(li) for li in listings if li.template_id in visible]


def get_listing(uow: UnitOfWork, *, actor: Actor, listing_id: int) -> ListingView:
    """One listing, for HQ or a user whose stores hold all of its template's stores."""
    with uow:
        listing, scope = _get_listed(uow, actor, listing_id)
        if actor.store_ids is not None and (not scope or not scope <= actor.store_ids):
            raise DomainError(ErrorCode.FORBIDDEN)
        return ListingView.of(listing)


def _get_listed(uow: UnitOfWork, actor: Actor, listing_id: int) -> tuple[Listing, frozenset[int]]:
    """The listing and its scope: the stores of its template (empty: the whole chain)."""
    listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
    if listing is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="listing")
    template = uow.repo(TemplateRepo).get(actor.merchant_id, listing.template_id)
    assert template is not None
    return listing, template.template.store_ids


def _enum(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=field) from exc


def _optional_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if len(text) > 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform_product_id")
    return text


def _window(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 7 * 24 * 60:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="reversal_window_minutes")
    return value
