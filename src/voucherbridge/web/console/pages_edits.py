"""Console edit forms: a store (with its opening hours), an item, a terminal's name, a listing.

Each form posts to the same service functions the admin API's PATCH calls, so the rules, the
scope (HQ: everything of the merchant; a store manager: their own store and its tills) and the
audit rows are the same. Disabling lives in pages_switch.py (it asks for confirmation first).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.catalogue import items, listings
from voucherbridge.chain import stores, terminals
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.web.console.forms import errors_of, form_status, whole, yuan
from voucherbridge.web.console.session import (
    ConsoleRoute,
    FormDep,
    IdPath,
    Session,
    SessionDep,
    one,
    typed,
)

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
ItemCode = Annotated[str, Path(min_length=1, max_length=64)]
STORE_FIELDS = ("name", "brand", "address", "receipt_title", "opening_hours")


def _form(
    request: Request,
    s: Session,
    kind: str,
    values: dict[str, Any],
    error: DomainError | None = None,
    **extra: Any,
) -> Response:
    ctx = {"kind": kind, "values": values, "errors": errors_of(error), **extra}
    return s.page(request, "console/edit.html", ctx, form_status(error))


# --- stores --------------------------------------------------------------------------------


@router.get("/console/stores/{store_id}/edit")
def store_edit(request: Request, s: SessionDep, store_id: IdPath) -> Response:
    s.actor.require_manager()
    store = stores.get_store(s.container.uow(), actor=s.actor, store_id=store_id)
    values = {
        "name": store.name,
        "brand": store.brand,
        "address": store.address,
        "receipt_title": store.receipt_title or "",
        "opening_hours": store.opening_hours or "",
    }
    return _form(request, s, "store", values, target=store)


@router.post("/console/stores/{store_id}/edit")
def store_update(request: Request, s: SessionDep, form: FormDep, store_id: IdPath) -> Response:
    c = s.container
    store = stores.get_store(c.uow(), actor=s.actor, store_id=store_id)  # 404/403 first
    # A field the form did not send stays as it is; an empty optional one is cleared.
    sent: dict[str, Any] = {k: one(form, k) for k in STORE_FIELDS if k in form}
    for optional in ("receipt_title", "opening_hours"):
        if optional in sent:
            sent[optional] = sent[optional] or None
    changes = stores.StoreChanges(**sent)
    try:
        stores.update_store(
            c.uow(write=True), actor=s.actor, store_id=store_id, changes=changes, now=c.clock()
        )
    except DomainError as exc:
        return _form(request, s, "store", typed(form), exc, target=store)
    return RedirectResponse(f"/console/stores/{store_id}?saved=1", status_code=303)


# --- items ---------------------------------------------------------------------------------


def _item(s: Session, item_code: str) -> items.ItemView:
    every = items.list_items(s.container.uow(), actor=s.actor)
    found = [i for i in every if i.item_code == item_code]
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, what="item")
    return found[0]


@router.get("/console/items/{item_code}/edit")
def item_edit(request: Request, s: SessionDep, item_code: ItemCode) -> Response:
    s.actor.require_hq()  # one catalogue for every store's till
    item = _item(s, item_code)
    price = fen_to_yuan_str(item.unit_price_fen)
    values = {"name": item.name, "unit": item.unit, "unit_price": price}
    return _form(request, s, "item", values, target=item)


@router.post("/console/items/{item_code}/edit")
def item_update(request: Request, s: SessionDep, form: FormDep, item_code: ItemCode) -> Response:
    c = s.container
    item = _item(s, item_code)
    try:
        changes = items.ItemChanges(
            name=one(form, "name"),
            unit=one(form, "unit"),
            unit_price_fen=yuan(one(form, "unit_price"), "unit_price_fen"),
        )
        items.update_item(
            c.uow(write=True), actor=s.actor, item_code=item_code, changes=changes, now=c.clock()
        )
    except DomainError as exc:
        return _form(request, s, "item", typed(form), exc, target=item)
    return RedirectResponse("/console/items?saved=1", status_code=303)


# --- terminals -----------------------------------------------------------------------------


@router.get("/console/terminals/{terminal_id}/edit")
def terminal_edit(request: Request, s: SessionDep, terminal_id: IdPath) -> Response:
    s.actor.require_manager()
    till = terminals.get_terminal(s.container.uow(), actor=s.actor, terminal_id=terminal_id)
    return _form(request, s, "terminal", {"name": till.name}, target=till)


@router.post("/console/terminals/{terminal_id}/edit")
def terminal_update(
    request: Request, s: SessionDep, form: FormDep, terminal_id: IdPath
) -> Response:
    c = s.container
    till = terminals.get_terminal(c.uow(), actor=s.actor, terminal_id=terminal_id)
    try:
        terminals.update_terminal(
            c.uow(write=True),
            actor=s.actor,
            terminal_id=terminal_id,
            name=one(form, "name"),
            now=c.clock(),
        )
    except DomainError as exc:
        return _form(request, s, "terminal", typed(form), exc, target=till)
    return RedirectResponse("/console/terminals?saved=1", status_code=303)


# --- listings ------------------------------------------------------------------------------


@router.get("/console/listings/{listing_id}/edit")
def listing_edit(request: Request, s: SessionDep, listing_id: IdPath) -> Response:
    s.actor.require_manager()
    listing = listings.get_listing(s.container.uow(), actor=s.actor, listing_id=listing_id)
    values = {
        "title": listing.title,
        "platform_product_id": listing.platform_product_id or "",
        "reversal_window_minutes": (
            "" if listing.reversal_window_minutes is None else str(listing.reversal_window_minutes)
        ),
    }
    return _form(request, s, "listing", values, target=listing)


@router.post("/console/listings/{listing_id}/edit")
def listing_update(request: Request, s: SessionDep, form: FormDep, listing_id: IdPath) -> Response:
    c = s.container
    listing = listings.get_listing(c.uow(), actor=s.actor, listing_id=listing_id)
    try:
        window = one(form, "reversal_window_minutes").strip()
        changes = listings.ListingChanges(
            title=one(form, "title"),
            platform_product_id=one(form, "platform_product_id").strip() or None,
            reversal_window_minutes=whole(window, "reversal_window_minutes") if window else None,
        )
        listings.update_listing(
            c.uow(write=True), actor=s.actor, listing_id=listing_id, changes=changes, now=c.clock()
        )
    except DomainError as exc:
        return _form(request, s, "listing", typed(form), exc, target=listing)
    return RedirectResponse(f"/console/listings?saved={listing_id}", status_code=303)
