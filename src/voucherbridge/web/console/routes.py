"""The console pages: login, logout and the overview; the other pages live beside this module.

Routes only translate between forms and the same service functions the admin API calls.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.catalogue import items, listings, templates
from voucherbridge.chain import auth, stores, terminals
from voucherbridge.core import csrf
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.outbox import service as outbox
from voucherbridge.platforms import bindings
from voucherbridge.web.console import (
    pages_alerts,
    pages_archive,
    pages_chain,
    pages_edits,
    pages_notifications,
    pages_platforms,
    pages_printers,
    pages_reconciliation,
    pages_reports,
    pages_staff,
    pages_switch,
    pages_tables,
    pages_vouchers,
)
from voucherbridge.web.console.session import (
    COOKIE,
    COOKIE_PATH,
    ConsoleRoute,
    SessionDep,
    get_container,
    safe_next,
)
from voucherbridge.web.templating import render_page

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
Text = Annotated[str, Form()]


@router.get("/console/login")
def login_form(request: Request, next: str = "/console") -> Response:
    return render_page(request, "console/login.html", {"next": safe_next(next), "username": ""})


@router.post("/console/login")
def login(request: Request, username: Text = "", password: Text = "", next: Text = "") -> Response:
    c = get_container(request)
    try:
        if not csrf.is_same_origin(request.headers.get("origin"), request.headers.get("host")):
            raise DomainError(ErrorCode.FORBIDDEN)
        if "\x00" in username + password:  # the database could not even look it up
            raise DomainError(ErrorCode.UNAUTHORIZED)
        signed_in = auth.login(
            c.uow(write=True),
            username=username.strip(),
            password=password,
            now=c.clock(),
            ttl_hours=c.settings.admin_token_ttl_hours,
            policy=c.sign_in_policy,
        )
    except DomainError as exc:
        ctx = {"next": safe_next(next), "username": username.strip(), "error": exc}
        status = 429 if exc.code is ErrorCode.SIGN_IN_LOCKED else 401
        return render_page(request, "console/login.html", ctx, status)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        signed_in.token,
        max_age=c.settings.admin_token_ttl_hours * 3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/console/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(alias="csrf")] = "") -> Response:
    c = get_container(request)
    token = request.cookies.get(COOKIE)
    # Without a valid CSRF token a foreign page could log the user out; ignore such posts.
    if token and csrf.is_valid(c.settings.secret_key, token, csrf_token):
        auth.logout(c.uow(write=True), token, c.clock())
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@router.get("/console")
def overview(request: Request, s: SessionDep) -> Response:
    uow, actor = s.container.uow, s.actor
    bound = [b for b in bindings.list_bindings(uow, actor=actor) if b.status == "bound"]
    counts = {
        "stores": len(stores.list_stores(uow(), actor=actor)),
        "items": len(items.list_items(uow(), actor=actor)),
        "terminals": len(terminals.list_terminals(uow(), actor=actor)),
        "bindings": len(bound),
        "templates": len(templates.list_templates(uow(), actor=actor)),
        "listings": len(listings.list_listings(uow(), actor=actor)),
    }
    dead = None
    if actor.is_hq:
        dead = outbox.list_outbox(uow, actor=actor, status="dead", limit=1).counts.get("dead", 0)
    ctx = {"counts": counts, "dead": dead, **pages_reports.dashboard_context(s)}
    return s.page(request, "console/overview.html", ctx)


router.include_router(pages_chain.router)
router.include_router(pages_edits.router)
router.include_router(pages_switch.router)
router.include_router(pages_printers.router)
router.include_router(pages_vouchers.router)
router.include_router(pages_platforms.router)
router.include_router(pages_alerts.router)
router.include_router(pages_reports.router)
router.include_router(pages_archive.router)
router.include_router(pages_staff.router)
router.include_router(pages_reconciliation.router)
router.include_router(pages_notifications.router)
router.include_router(pages_tables.router)
