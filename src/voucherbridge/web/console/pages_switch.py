"""Disabling (停用) and enabling (启用) stores, items, terminals, listings and templates.

Disabling is two posts, so it works without a script: the first (from the list's 停用 button)
answers a confirmation page saying in words what will happen (for a listing or a template: how
many codes sold are still unused, and that they keep redeeming); only the second, carrying
`confirm=yes`, changes anything. Enabling again is one post. The scope is checked before the
confirmation is shown, by the same rules the change itself applies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse

from voucherbridge.catalogue import items, sales_stop
from voucherbridge.chain import stores, terminals
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.web.console.session import ConsoleRoute, FormDep, Session, SessionDep, one

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
Kind = Literal["stores", "items", "terminals", "listings", "templates"]
KindPath = Annotated[Kind, Path()]
RefPath = Annotated[str, Path(min_length=1, max_length=64)]


def _id(ref: str) -> int:
    """An object id in the path; junk names nothing we have (the 404 page)."""
    if not ref.isdigit() or len(ref) > 18 or int(ref) < 1:
        raise RequestValidationError([])
    return int(ref)


def _back(kind: Kind, ref: str) -> str:
    return f"/console/stores/{ref}" if kind == "stores" else f"/console/{kind}"


def _target(s: Session, kind: Kind, ref: str, now: datetime) -> dict[str, Any]:
    """What the confirmation shows, read only once the actor may change it (else 403/404)."""
    uow, actor = s.container.uow, s.actor
    if kind == "stores":
        store = stores.get_store(uow(), actor=actor, store_id=_id(ref))
        actor.require_hq()  # only HQ opens or closes a store
        tills = [
            t
            for t in terminals.list_terminals(uow(), actor=actor)
            if t.store_id == store.id and t.active
        ]
        return {"name": store.name, "active": store.active, "tills": len(tills)}
    if kind == "items":
        actor.require_hq()  # one catalogue for every store's till
        found = [i for i in items.list_items(uow(), actor=actor) if i.item_code == ref]
        if not found:
            raise DomainError(ErrorCode.NOT_FOUND, what="item")
        return {"name": found[0].name, "active": found[0].active, "code": ref}
    if kind == "terminals":
        till = terminals.get_terminal(uow(), actor=actor, terminal_id=_id(ref))
        actor.require_manager()
        actor.require_change(frozenset({till.store_id}))
        return {"name": till.name, "active": till.active}
    if kind == "listings":
        stop = sales_stop.listing_stop(uow(), actor=actor, listing_id=_id(ref), now=now)
    else:
        stop = sales_stop.template_stop(uow(), actor=actor, template_id=_id(ref), now=now)
    return {"name": stop.name, "active": stop.active, "stop": stop}


def _switch(s: Session, kind: Kind, ref: str, active: bool) -> None:
    c, actor = s.container, s.actor
    uow, now = c.uow(write=True), c.clock()
    if kind == "stores":
        changes = stores.StoreChanges(active=active)
        stores.update_store(uow, actor=actor, store_id=_id(ref), changes=changes, now=now)
    elif kind == "items":
        item_changes = items.ItemChanges(active=active)
        items.update_item(uow, actor=actor, item_code=ref, changes=item_changes, now=now)
    elif kind == "terminals":
        terminals.update_terminal(uow, actor=actor, terminal_id=_id(ref), active=active, now=now)
    elif kind == "listings":
        sales_stop.set_listing_active(uow, actor=actor, listing_id=_id(ref), active=active, now=now)
    else:
        sales_stop.set_template_active(
            uow, actor=actor, template_id=_id(ref), active=active, now=now
        )


@router.post("/console/{kind}/{ref}/disable")
def disable(
    request: Request, s: SessionDep, form: FormDep, kind: KindPath, ref: RefPath
) -> Response:
    """First post: the confirmation page; second post (confirm=yes): disable, back to the list."""
    target = _target(s, kind, ref, s.container.clock())
    if one(form, "confirm") != "yes":
        ctx = {
            "kind": kind,
            "ref": ref,
            "target": target,
            "action": f"/console/{kind}/{ref}/disable",
            "back": _back(kind, ref),
        }
        return s.page(request, "console/confirm.html", ctx)
    _switch(s, kind, ref, active=False)
    return RedirectResponse(f"{_back(kind, ref)}?disabled={ref}", status_code=303)


@router.post("/console/{kind}/{ref}/enable")
def enable(
    request: Request, s: SessionDep, form: FormDep, kind: KindPath, ref: RefPath
) -> Response:
    """Enable again at once: nothing is lost by it, so no confirmation."""
    del request, form  # the form's CSRF check is all it carries
    _target(s, kind, ref, s.container.clock())
    _switch(s, kind, ref, active=True)
    return RedirectResponse(f"{_back(kind, ref)}?enabled={ref}", status_code=303)
