"""Console page of a store's tables (桌台) for table-QR self-pay: add ranges like A1-A12,
disable a table, and download the printable A4 sheet of their QR codes (PDF).

HQ and the store's manager change them; the sheet's QR codes point at `/wx/t/{token}` on our
public address (`VOUCHERBRIDGE_PUBLIC_BASE_URL`, else the address this page was asked on).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.domain.errors import DomainError
from voucherbridge.selfpay import tables
from voucherbridge.selfpay.qr_sheet import qr_sheet_pdf, table_url
from voucherbridge.web.console.forms import errors_of, form_status
from voucherbridge.web.console.session import (
    ConsoleRoute,
    FormDep,
    IdPath,
    Session,
    SessionDep,
    one,
)

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
TEMPLATE = "console/tables.html"


def _base(request: Request, s: Session) -> str:
    public = s.container.settings.public_base_url
    return public.rstrip("/") if public else str(request.base_url).rstrip("/")


def _page(
    request: Request,
    s: Session,
    store_id: int,
    errors: dict[str, DomainError] | None = None,
    spec: str = "",
    added: str = "",
    status: int = 200,
) -> Response:
    store, rows = tables.store_tables(s.container.uow(), actor=s.actor, store_id=store_id)
    base = _base(request, s)
    ctx = {
        "store": store,
        "tables": [(t, table_url(base, t)) for t in rows],
        "errors": errors or {},
        "spec": spec,
        "added": added,
    }
    return s.page(request, TEMPLATE, ctx, status)


@router.get("/console/stores/{store_id}/tables")
def table_list(request: Request, s: SessionDep, store_id: IdPath, added: str = "") -> Response:
    return _page(request, s, store_id, added=added[:200])


@router.post("/console/stores/{store_id}/tables")
def table_add(request: Request, s: SessionDep, form: FormDep, store_id: IdPath) -> Response:
    spec = one(form, "tables")
    c = s.container
    try:
        added = tables.add_tables(
            c.uow(write=True), actor=s.actor, store_id=store_id, spec=spec, now=c.clock()
        )
    except DomainError as exc:
        status = form_status(exc)
        if status in (403, 404):
            raise
        return _page(request, s, store_id, errors_of(exc), spec, status=status)
    query = urlencode({"added": ",".join(added)[:200]})
    return RedirectResponse(f"/console/stores/{store_id}/tables?{query}", status_code=303)


@router.post("/console/stores/{store_id}/tables/{table_id}/active")
def table_switch(
    request: Request, s: SessionDep, form: FormDep, store_id: IdPath, table_id: IdPath
) -> Response:
    c = s.container
    tables.set_tables_active(
        c.uow(write=True),
        actor=s.actor,
        store_id=store_id,
        table_ids=[table_id],
        active=one(form, "active") == "1",
        now=c.clock(),
    )
    return RedirectResponse(f"/console/stores/{store_id}/tables", status_code=303)


@router.get("/console/stores/{store_id}/tables.pdf")
def table_sheet(request: Request, s: SessionDep, store_id: IdPath) -> Response:
    """The A4 sheet of the store's table QR codes, to print and put on the tables."""
    store, rows = tables.store_tables(s.container.uow(), actor=s.actor, store_id=store_id)
    pdf = qr_sheet_pdf(store, rows, _base(request, s))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="tables-store-{store_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )
