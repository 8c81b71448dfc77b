"""Console pages for reconciliation (对账): runs of a day, one run, start one from the
platform's API or from an uploaded CSV statement. The same use cases as the admin API."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from voucherbridge.chain import stores
from voucherbridge.domain.errors import DomainError
from voucherbridge.platforms.statements import PLATFORMS
from voucherbridge.reconciliation import service
from voucherbridge.web.console.forms import errors_of, form_status, invalid
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
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_CSV_BYTES = 4 * 1024 * 1024
KIND_LABELS = {
    "matched": "一致",
    "theirs_only": "仅平台有",
    "ours_only": "仅我方有",
    "amount_differs": "金额不符",
    "status_differs": "状态不符",
}
STATUS_LABELS = {"redeemed": "已核销", "reversed": "已撤销"}


def _day(text: str) -> date:
    if not DAY.fullmatch(text):
        raise invalid("date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("date") from None


def _store(form: dict[str, list[str]]) -> int:
    text = one(form, "store_id")
    if not text.isdigit() or len(text) > 18:
        raise invalid("store_id")
    return int(text)


def _errors(error: DomainError | None) -> dict[str, DomainError]:
    """Errors by field; a refused statement file (its row and column) sits by the file."""
    field = error.params.get("field") if error is not None else None
    if error is not None and isinstance(field, str) and field.startswith("csv"):
        return {"file": error}
    return errors_of(error)


def _list_page(
    request: Request,
    s: Session,
    day: date,
    posted: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> Response:
    c = s.container
    ctx = {
        "day": day.isoformat(),
        "runs": service.list_runs(c.uow(), actor=s.actor, day=day),
        "stores": stores.list_stores(c.uow(), actor=s.actor),
        "platforms": PLATFORMS,
        "kind_labels": KIND_LABELS,
        "posted": posted or {},
        "errors": _errors(error),
    }
    return s.page(request, "console/reconciliations.html", ctx, form_status(error, 422))


@router.get("/console/reconciliations")
def run_list(request: Request, s: SessionDep, date: str = "") -> Response:
    c = s.container
    try:
        day = _day(date) if date else service.local_yesterday(c.uow(), actor=s.actor, now=c.clock())
    except DomainError:
        day = service.local_yesterday(c.uow(), actor=s.actor, now=c.clock())
    return _list_page(request, s, day)


@router.post("/console/reconciliations")
def start(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted = typed(form)
    day = service.local_yesterday(c.uow(), actor=s.actor, now=c.clock())
    try:
        day = _day(one(form, "date"))
        run = service.reconcile(
            c.uow,
            service.StatementReader(c.platform_clients, c.secrets.open),
            actor=s.actor,
            platform=one(form, "platform"),
            store_id=_store(form),
            day=day,
            clock=c.clock,
        )
    except DomainError as exc:
        return _list_page(request, s, day, posted, exc)
    return RedirectResponse(f"/console/reconciliations/{run.id}", status_code=303)


@router.post("/console/reconciliations/upload")
async def upload(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted = {**typed(form), "upload": "1"}
    day = service.local_yesterday(c.uow(), actor=s.actor, now=c.clock())
    try:
        day, store_id, platform = _day(one(form, "date")), _store(form), one(form, "platform")
        with c.uow() as uow:  # who may reconcile which store, before reading any file
            service.check_target(uow, s.actor, platform, store_id)
        sent = (await request.form()).get("file")  # the form is parsed once and kept
        if not isinstance(sent, UploadFile):
            raise invalid("file")
        content = await sent.read(MAX_CSV_BYTES + 1)
        if not content or len(content) > MAX_CSV_BYTES:
            raise invalid("file")
        run = service.reconcile_csv(
            c.uow,
            actor=s.actor,
            platform=platform,
            store_id=store_id,
            day=day,
            content=content,
            clock=c.clock,
        )
    except DomainError as exc:
        return _list_page(request, s, day, posted, exc)
    return RedirectResponse(f"/console/reconciliations/{run.id}", status_code=303)


@router.get("/console/reconciliations/{run_id}")
def run_page(request: Request, s: SessionDep, run_id: IdPath) -> Response:
    run = service.get_run(s.container.uow(), actor=s.actor, run_id=run_id)
    sections = [(kind, label, getattr(run, kind)) for kind, label in KIND_LABELS.items()]
    # Mismatches first: they are what the merchant opens the page for.
    sections = sections[1:] + sections[:1]
    ctx = {"run": run, "sections": sections, "status_labels": STATUS_LABELS}
    return s.page(request, "console/reconciliation.html", ctx)
