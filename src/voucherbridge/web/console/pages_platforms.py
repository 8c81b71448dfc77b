"""Console pages for the platforms: store bindings (绑定) and the outbox (failed deliveries)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.chain import stores
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.outbox import service as outbox
from voucherbridge.platforms import bindings
from voucherbridge.platforms import meituan_authorization as meituan_auth
from voucherbridge.platforms.bindings import BINDABLE, STATUS_LABELS, BindingView
from voucherbridge.platforms.registry import binding_tester, meituan_session_exchange
from voucherbridge.web.console.forms import errors_of, form_status
from voucherbridge.web.console.outbox_rows import OutboxLine
from voucherbridge.web.console.pages_reports import merchant_today
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


# --- bindings ----------------------------------------------------------------------------


def _bindings_page(
    request: Request,
    s: Session,
    posted: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> Response:
    uow = s.container.uow
    store_rows = stores.list_stores(uow(), actor=s.actor)
    found = {(b.store_id, b.platform): b for b in bindings.list_bindings(uow, actor=s.actor)}
    grid = [
        {"store": store, "cells": [_cell(found.get((store.id, p)), p) for p in BINDABLE]}
        for store in store_rows
    ]
    ctx = {
        "grid": grid,
        "stores": store_rows,
        "platforms": BINDABLE,
        "posted": posted or {},
        "errors": errors_of(error),
    }
    return s.page(request, "console/bindings.html", ctx, form_status(error, 422))


def _cell(binding: BindingView | None, platform: str) -> dict[str, Any]:
    """One store × platform: 已绑定 / 未绑定, or the failure in the catalogue's words."""
    if binding is None:
        return {"platform": platform, "status": "unbound", "label": STATUS_LABELS["unbound"]}
    failure = None
    if binding.status != "bound" and binding.last_error:
        try:
            failure = DomainError(ErrorCode(binding.last_error), platform=platform)
        except ValueError:
            failure = None
    return {**asdict(binding), "label": binding.status_label, "failure": failure}


@router.get("/console/bindings")
def binding_list(request: Request, s: SessionDep) -> Response:
    return _bindings_page(request, s)


@router.post("/console/bindings")
def bind(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted = typed(form, "secret")
    store_text = one(form, "store_id")
    try:
        if not store_text.isdigit() or len(store_text) > 18:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_id")
        bindings.bind_store(
            c.uow,
            actor=s.actor,
            store_id=int(store_text),
            platform=one(form, "platform"),
            platform_store_id=one(form, "platform_store_id"),
            secret=one(form, "secret"),
            account_id=one(form, "account_id"),
            tester=binding_tester(c.platform_clients),
            sealer=c.secrets,
            now=c.clock(),
        )
    except DomainError as exc:
        return _bindings_page(request, s, posted, exc)
    return RedirectResponse("/console/bindings", status_code=303)


def _meituan_callback(request: Request, s: Session) -> str:
    base = s.container.settings.public_base_url or str(request.base_url)
    return base.rstrip("/") + meituan_auth.CALLBACK_PATH


@router.post("/console/bindings/meituan/authorize")
def meituan_authorize(request: Request, s: SessionDep, form: FormDep) -> Response:
    """Off to Meituan's page, where the merchant authorizes our app for the shop."""
    settings, store_text = s.container.settings, one(form, "store_id")
    try:
        if not store_text.isdigit() or len(store_text) > 18:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_id")
        page = settings.meituan_authorize_url or (
            settings.meituan_base_url.rstrip("/") + meituan_auth.SIMULATOR_PAGE
        )
        target = meituan_auth.authorization_url(
            s.container.uow,
            actor=s.actor,
            store_id=int(store_text),
            shop_id=one(form, "platform_store_id"),
            authorize_url=page,
            app_key=settings.meituan_app_key,
            redirect_url=_meituan_callback(request, s),
            seal=meituan_auth.state_seal(settings.secret_key),
            now=s.container.clock(),
        )
    except DomainError as exc:
        return _bindings_page(request, s, {**typed(form), "platform": "meituan"}, exc)
    return RedirectResponse(target, status_code=303)


@router.get(meituan_auth.CALLBACK_PATH)
def meituan_callback(request: Request, s: SessionDep) -> Response:
    """Meituan sent the merchant back with an ``auth_code``: bind with the session."""
    c, query = s.container, request.query_params
    try:
        meituan_auth.complete_authorization(
            c.uow,
            actor=s.actor,
            state=query.get("state", ""),
            auth_code=query.get("auth_code", ""),
            redirect_url=_meituan_callback(request, s),
            exchange=meituan_session_exchange(c.platform_clients),
            tester=binding_tester(c.platform_clients),
            sealer=c.secrets,
            seal=meituan_auth.state_seal(c.settings.secret_key),
            now=c.clock(),
        )
    except DomainError as exc:
        return _bindings_page(request, s, {"platform": "meituan"}, exc)
    return RedirectResponse("/console/bindings?authorized=meituan", status_code=303)


# --- outbox ------------------------------------------------------------------------------


@router.get("/console/outbox")
def outbox_list(request: Request, s: SessionDep) -> Response:
    listed = outbox.list_outbox(s.container.uow, actor=s.actor, status=None, limit=500)
    _today, zone = merchant_today(s)
    # A person only needs the rows that went wrong: dead ones, and ones waiting on a retry.
    rows = [OutboxLine.of(r, zone) for r in listed.rows if r.status == "dead" or r.last_error]
    ctx = {
        "rows": rows,
        "counts": listed.counts,
        "retried": request.query_params.get("retried"),
        "zone": zone,
    }
    return s.page(request, "console/outbox.html", ctx)


@router.post("/console/outbox/{outbox_id}/retry")
def outbox_retry(request: Request, s: SessionDep, form: FormDep, outbox_id: IdPath) -> Response:
    del form  # only its CSRF check matters
    outbox.retry_dead(s.container.uow, actor=s.actor, outbox_id=outbox_id, now=s.container.clock())
    return RedirectResponse(f"/console/outbox?retried={outbox_id}", status_code=303)
