"""Stopping and resuming sales of a listing or a template (停用 / 启用).

Seed 002 warns that deleting an old 团购 strands the buyers who have not used their codes. So
nothing is ever deleted: disabling stops new sales only (the platform's purchase callback is
refused, the listing is no longer offered), and every code sold before keeps redeeming at the
till until it expires. The confirmation says how many such codes there are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from voucherbridge.audit.record import record_admin_change
from voucherbridge.catalogue.listings import ListingView
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.catalogue.templates import TemplateView
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import CodeType
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Listing, TemplateRow


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesStopView:
    """What disabling would do, for the confirmation: the codes sold and not used yet (ours;
    a platform-code listing's unused codes are held by the platform, so `platform_codes`)."""

    kind: str  # "listing" | "template"
    id: int
    name: str
    active: bool
    unused_codes: int
    listings: int  # listings the template is sold under (1 for a listing)
    platform_codes: bool


def listing_stop(uow: UnitOfWork, *, actor: Actor, listing_id: int, now: datetime) -> SalesStopView:
    """What disabling the listing would leave behind, for a user who may change it."""
    with uow:
        listing, _ = _listing_in_reach(uow, actor, listing_id)
        unused = uow.repo(ListingRepo).unused_codes(actor.merchant_id, [listing.id], now)
        return SalesStopView(
            kind="listing",
            id=listing.id,
            name=listing.title,
            active=listing.active,
            unused_codes=unused,
            listings=1,
            platform_codes=listing.code_type is CodeType.PLATFORM,
        )


def template_stop(
    uow: UnitOfWork, *, actor: Actor, template_id: int, now: datetime
) -> SalesStopView:
    """What disabling the template (so every listing of it) would leave behind."""
    with uow:
        row = _template_in_reach(uow, actor, template_id)
        under = uow.repo(ListingRepo).of_template(actor.merchant_id, template_id)
        unused = uow.repo(ListingRepo).unused_codes(actor.merchant_id, [li.id for li in under], now)
        return SalesStopView(
            kind="template",
            id=row.template.id,
            name=row.template.name,
            active=row.active,
            unused_codes=unused,
            listings=len(under),
            platform_codes=any(li.code_type is CodeType.PLATFORM for li in under),
        )


def set_listing_active(
    uow: UnitOfWork, *, actor: Actor, listing_id: int, active: bool, now: datetime
) -> ListingView:
    """Disable (stop new sales) or enable a listing again; audited, setting it twice is a no-op."""
    _flag(active)
    with uow:
        listing, _ = _listing_in_reach(uow, actor, listing_id)
        before = ListingView.of(listing)
        if listing.active != active:
            uow.repo(ListingRepo).update(actor.merchant_id, listing.id, {"active": active})
        changed = uow.repo(ListingRepo).get(actor.merchant_id, listing.id)
        assert changed is not None
        view = ListingView.of(changed)
        if view != before:
            action = "listing.enable" if active else "listing.disable"
            record_admin_change(uow, actor, action, listing.id, asdict(before), asdict(view), now)
        uow.commit()
        return view


def set_template_active(
    uow: UnitOfWork, *, actor: Actor, template_id: int, active: bool, now: datetime
) -> TemplateView:
    """Disable (stop new sales of all its listings) or enable a template again; audited."""
    _flag(active)
    with uow:
        row = _template_in_reach(uow, actor, template_id)
        before = TemplateView.of(row)
        if row.active != active:
            uow.repo(TemplateRepo).update(actor.merchant_id, template_id, {"active": active}, now)
        changed = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        assert changed is not None
        view = TemplateView.of(changed)
        if view.active != before.active:
            action = "template.enable" if active else "template.disable"
            record_admin_change(uow, actor, action, template_id, asdict(before), asdict(view), now)
        uow.commit()
        return view


def _listing_in_reach(
    uow: UnitOfWork, actor: Actor, listing_id: int
) -> tuple[Listing, frozenset[int]]:
    """The listing, if the actor may change it (its template's stores are all theirs)."""
    actor.require_manager()
    listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
    if listing is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="listing")
    template = uow.repo(TemplateRepo).get(actor.merchant_id, listing.template_id)
    assert template is not None
    actor.require_change(template.template.store_ids)
    return listing, template.template.store_ids


def _template_in_reach(uow: UnitOfWork, actor: Actor, template_id: int) -> TemplateRow:
    actor.require_manager()
    row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="template")
    actor.require_change(row.template.store_ids)
    return row


def _flag(value: object) -> None:
    if not isinstance(value, bool):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
