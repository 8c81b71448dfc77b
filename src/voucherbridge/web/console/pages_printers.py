"""Console page of a till's network receipt printer (小票机): address, port and paper width.

The terminal list links here; saving goes through the same service as the admin API's
`PUT /api/admin/v1/terminals/{id}/printer` and comes back to the list.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.chain import terminal_printers
from voucherbridge.domain.errors import DomainError
from voucherbridge.web.console.forms import errors_of, form_status
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
TEMPLATE = "console/terminal_printer.html"


def _page(
    request: Request,
    s: Session,
    terminal_id: int,
    errors: dict[str, DomainError] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = terminal_printers.get_terminal_printer(
        s.container.uow(), actor=s.actor, terminal_id=terminal_id
    )
    shown = posted or {
        "printer_host": view.host or "",
        "printer_port": str(view.port or 9100),
        "printer_width_mm": str(view.width_mm or 80),
    }
    ctx = {"printer": view, "shown": shown, "errors": errors or {}}
    return s.page(request, TEMPLATE, ctx, status)


@router.get("/console/terminals/{terminal_id}/printer")
def printer_form(request: Request, s: SessionDep, terminal_id: IdPath) -> Response:
    return _page(request, s, terminal_id)


@router.post("/console/terminals/{terminal_id}/printer")
def printer_save(request: Request, s: SessionDep, form: FormDep, terminal_id: IdPath) -> Response:
    c = s.container
    clear = one(form, "action") == "clear"
    try:
        terminal_printers.set_terminal_printer(
            c.uow(write=True),
            actor=s.actor,
            terminal_id=terminal_id,
            host="" if clear else one(form, "printer_host"),
            port=None if clear else one(form, "printer_port"),
            width_mm=None if clear else one(form, "printer_width_mm"),
            now=c.clock(),
        )
    except DomainError as exc:
        status = form_status(exc)
        if status in (403, 404):  # not theirs, or not there: no form to show it again in
            raise
        return _page(request, s, terminal_id, errors_of(exc), typed(form), status)
    return RedirectResponse("/console/terminals", status_code=303)
