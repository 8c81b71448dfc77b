"""Console pages for the chain itself: stores, the item catalogue and cashier terminals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.catalogue import items
from voucherbridge.chain import stores, terminal_printers, terminals
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms import bindings
from voucherbridge.web.console.forms import errors_of, form_status, yuan
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
# The new terminal's key travels to the next page sealed in a short-lived cookie: shown once,
# and a reload neither shows it again nor posts the form twice.
KEY_COOKIE = "vb_new_key"
KEY_PATH = "/console/terminals"


# --- stores ------------------------------------------------------------------------------


def _stores_page(
    request: Request,
    s: Session,
    errors: dict[str, DomainError] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rows = stores.list_stores(s.container.uow(), actor=s.actor)
    ctx = {"stores": rows, "errors": errors or {}, "posted": posted or {}}
    return s.page(request, "console/stores.html", ctx, status)


@router.get("/console/stores")
def store_list(request: Request, s: SessionDep) -> Response:
    return _stores_page(request, s)


@router.post("/console/stores")
def store_create(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    try:
        created = stores.create_store(
            c.uow(write=True),
            actor=s.actor,
            name=one(form, "name"),
            brand=one(form, "brand"),
            address=one(form, "address"),
            now=c.clock(),
        )
    except DomainError as exc:
        posted = typed(form)
        return _stores_page(request, s, errors_of(exc), posted, form_status(exc))
    return RedirectResponse(f"/console/stores/{created.id}", status_code=303)


@router.get("/console/stores/{store_id}")
def store_detail(request: Request, s: SessionDep, store_id: IdPath) -> Response:
    uow, actor = s.container.uow, s.actor
    store = stores.get_store(uow(), actor=actor, store_id=store_id)
    tills = [t for t in terminals.list_terminals(uow(), actor=actor) if t.store_id == store_id]
    bound = [b for b in bindings.list_bindings(uow, actor=actor) if b.store_id == store_id]
    opening = stores.opening_ranges(store.opening_hours)
    ctx = {"store": store, "terminals": tills, "bindings": bound, "opening": opening}
    return s.page(request, "console/store.html", ctx)


# --- items -------------------------------------------------------------------------------


def _items_page(
    request: Request,
    s: Session,
    errors: dict[str, DomainError] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    rows = items.list_items(s.container.uow(), actor=s.actor)
    ctx = {"items": rows, "errors": errors or {}, "posted": posted or {}}
    return s.page(request, "console/items.html", ctx, status)


@router.get("/console/items")
def item_list(request: Request, s: SessionDep) -> Response:
    return _items_page(request, s)


@router.post("/console/items")
def item_create(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted = typed(form)
    try:
        items.create_item(
            c.uow(write=True),
            actor=s.actor,
            item_code=one(form, "item_code"),
            name=one(form, "name"),
            unit=one(form, "unit", "份") or "份",
            unit_price_fen=yuan(one(form, "unit_price"), "unit_price_fen"),
            now=c.clock(),
        )
    except DomainError as exc:
        return _items_page(request, s, errors_of(exc), posted, form_status(exc))
    return RedirectResponse("/console/items", status_code=303)


# --- terminals ---------------------------------------------------------------------------


def _terminals_page(
    request: Request,
    s: Session,
    new_key: tuple[str, str] | None = None,
    errors: dict[str, DomainError] | None = None,
    status: int = 200,
) -> Response:
    uow = s.container.uow
    store_rows = stores.list_stores(uow(), actor=s.actor)
    ctx = {
        "terminals": terminals.list_terminals(uow(), actor=s.actor),
        "printers": terminal_printers.printers_by_terminal(uow(), actor=s.actor),
        "stores": store_rows,
        "store_names": {st.id: st.name for st in store_rows},
        "new_key": new_key,
        "errors": errors or {},
    }
    response = s.page(request, "console/terminals.html", ctx, status)
    if new_key is not None:
        response.delete_cookie(KEY_COOKIE, path=KEY_PATH)
    return response


@router.get("/console/terminals")
def terminal_list(request: Request, s: SessionDep) -> Response:
    sealed = request.cookies.get(KEY_COOKIE)
    new_key = None
    if sealed:
        try:
            name, _, key = s.container.secrets.open(sealed).partition("\n")
            new_key = (name, key)
        except ValueError:  # a stale or forged cookie just shows nothing
            new_key = ("", "")
    return _terminals_page(request, s, new_key)


@router.post("/console/terminals")
def terminal_issue(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    store_text = one(form, "store_id")
    try:
        if not store_text.isdigit() or len(store_text) > 18:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_id")
        issued = terminals.issue_terminal(
            c.uow(write=True),
            actor=s.actor,
            store_id=int(store_text),
            name=one(form, "name"),
            now=c.clock(),
        )
    except DomainError as exc:
        return _terminals_page(request, s, None, errors_of(exc), form_status(exc))
    response = RedirectResponse("/console/terminals", status_code=303)
    response.set_cookie(
        KEY_COOKIE,
        c.secrets.seal(f"{issued.name}\n{issued.key}"),
        max_age=300,
        path=KEY_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/console/terminals/{terminal_id}/revoke")
def terminal_revoke(
    request: Request, s: SessionDep, form: FormDep, terminal_id: IdPath
) -> Response:
    del form  # only its CSRF check matters
    terminals.revoke_terminal(
        s.container.uow(write=True), actor=s.actor, terminal_id=terminal_id, now=s.container.clock()
    )
    return RedirectResponse("/console/terminals", status_code=303)
