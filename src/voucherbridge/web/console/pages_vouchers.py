"""Console pages for vouchers: templates (every rule of SPEC flow 2), listings and the archive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.api.schemas.admin_listings import ListingCreate
from voucherbridge.api.schemas.admin_templates import TemplateCreate, TemplateUpdate
from voucherbridge.catalogue import issuing, items, listings, templates
from voucherbridge.chain import stores, terminals, users
from voucherbridge.domain.errors import DomainError
from voucherbridge.reports.archive import code_history
from voucherbridge.web.console import pages_archive
from voucherbridge.web.console.forms import (
    check,
    errors_of,
    form_status,
    posted_values,
    template_spec,
    template_values,
    whole,
)
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
PLATFORMS = ("weimall", "douyin", "meituan", "direct")


# --- templates ---------------------------------------------------------------------------


@router.get("/console/templates")
def template_list(request: Request, s: SessionDep) -> Response:
    rows = templates.list_templates(s.container.uow(), actor=s.actor)
    return s.page(request, "console/templates.html", {"templates": rows})


def _template_form(
    request: Request,
    s: Session,
    values: dict[str, Any],
    template_id: int | None,
    error: DomainError | None = None,
) -> Response:
    uow = s.container.uow
    ctx = {
        "values": values,
        "template_id": template_id,
        "items": items.list_items(uow(), actor=s.actor),
        "stores": stores.list_stores(uow(), actor=s.actor),
        "errors": errors_of(error),
    }
    return s.page(request, "console/template_form.html", ctx, form_status(error))


@router.get("/console/templates/new")
def template_new(request: Request, s: SessionDep) -> Response:
    s.actor.require_manager()
    return _template_form(request, s, template_values(None), None)


@router.post("/console/templates/new")
def template_create(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    try:
        spec = templates.TemplateSpec(**check(TemplateCreate, template_spec(form)))
        created = templates.create_template(
            c.uow(write=True), actor=s.actor, spec=spec, now=c.clock()
        )
    except DomainError as exc:
        return _template_form(request, s, posted_values(form), None, exc)
    return RedirectResponse(f"/console/templates?saved={created.id}", status_code=303)


@router.get("/console/templates/{template_id}/edit")
def template_edit(request: Request, s: SessionDep, template_id: IdPath) -> Response:
    view = templates.get_template(s.container.uow(), actor=s.actor, template_id=template_id)
    return _template_form(request, s, template_values(view), template_id)


@router.post("/console/templates/{template_id}/edit")
def template_update(
    request: Request, s: SessionDep, form: FormDep, template_id: IdPath
) -> Response:
    c = s.container
    # Reading first gives an unknown or foreign template its 404/403 page, not a form.
    templates.get_template(c.uow(), actor=s.actor, template_id=template_id)
    try:
        # Disabling asks for confirmation on its own page (pages_switch.py), never here.
        edited = {k: v for k, v in template_spec(form).items() if k != "active"}
        changes = templates.TemplateChanges(**check(TemplateUpdate, edited))
        templates.update_template(
            c.uow(write=True),
            actor=s.actor,
            template_id=template_id,
            changes=changes,
            now=c.clock(),
        )
    except DomainError as exc:
        return _template_form(request, s, posted_values(form), template_id, exc)
    return RedirectResponse(f"/console/templates?saved={template_id}", status_code=303)


# --- listings ----------------------------------------------------------------------------


def _listings_page(
    request: Request,
    s: Session,
    posted: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> Response:
    uow = s.container.uow
    all_templates = templates.list_templates(uow(), actor=s.actor)
    names = {t.id: t.name for t in all_templates}
    ctx = {
        "listings": listings.list_listings(uow(), actor=s.actor),
        "templates": all_templates,
        "template_names": names,
        "platforms": PLATFORMS,
        "posted": posted or {"platform": "weimall", "code_type": "merchant"},
        "errors": errors_of(error),
        "created": request.query_params.get("created"),
    }
    return s.page(request, "console/listings.html", ctx, form_status(error))


@router.get("/console/listings")
def listing_list(request: Request, s: SessionDep) -> Response:
    return _listings_page(request, s)


@router.post("/console/listings")
def listing_create(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted = typed(form)
    try:
        body: dict[str, Any] = {
            "template_id": whole(one(form, "template_id"), "template_id"),
            "platform": one(form, "platform"),
            "code_type": one(form, "code_type", "merchant"),
            "title": one(form, "title").strip(),
        }
        product = one(form, "platform_product_id").strip()
        if product:
            body["platform_product_id"] = product
        window = one(form, "reversal_window_minutes").strip()
        if window:
            body["reversal_window_minutes"] = whole(window, "reversal_window_minutes")
        spec = listings.ListingSpec(**check(ListingCreate, body))
        created = listings.create_listing(
            c.uow(write=True), actor=s.actor, spec=spec, now=c.clock()
        )
    except DomainError as exc:
        return _listings_page(request, s, posted, exc)
    return RedirectResponse(f"/console/listings?created={created.id}", status_code=303)


# --- the code archive (票券档案) ------------------------------------------------------------


@router.get("/console/codes")
def code_archive(request: Request, s: SessionDep, q: str = "") -> Response:
    uow = s.container.uow
    query = q.strip()[:64]
    archive: issuing.CodeArchiveView | None = None
    error: DomainError | None = None
    context: dict[str, Any] = {}
    if query:
        try:
            archive = code_history(uow(), actor=s.actor, code=query)
        except DomainError as exc:
            error = exc
    if archive is not None:
        context = _archive_context(s, archive)
    elif not query:  # no code asked: the archive's list, filtered and paged
        context = pages_archive.list_context(request, s, "codes")
    ctx = {"q": query, "archive": archive, "error": error, **context}
    return s.page(request, "console/codes.html", ctx, 404 if error else 200)


def _archive_context(s: Session, archive: issuing.CodeArchiveView) -> dict[str, Any]:
    """Names for the ids in the history, where this user may see them."""
    uow = s.container.uow
    store_names = {st.id: st.name for st in stores.list_stores(uow(), actor=s.actor)}
    titles = {"template": "", "listing": ""}
    try:
        template = templates.get_template(uow(), actor=s.actor, template_id=archive.template_id)
        titles["template"] = template.name
        listing = listings.get_listing(uow(), actor=s.actor, listing_id=archive.listing_id)
        titles["listing"] = listing.title
    except DomainError:
        pass  # a manager may not see a chain-wide template: the ids stay on the page
    return {"store_names": store_names, "titles": titles, "actors": _actor_names(s)}


def _actor_names(s: Session) -> dict[str, str]:
    """`terminal:3` and `user:1` as the till's and the person's names, where this user may
    see them (a manager sees the tills of their stores; only HQ lists users)."""
    uow = s.container.uow
    tills = terminals.list_terminals(uow(), actor=s.actor)
    names = {f"terminal:{t.id}": t.name for t in tills}
    if s.actor.store_ids is None:
        for u in users.list_users(uow(), actor=s.actor):
            names[f"user:{u.id}"] = u.display_name or u.username
    return names
