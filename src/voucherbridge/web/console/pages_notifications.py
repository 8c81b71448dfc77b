"""Console page for consumer notifications (HQ admins): the WeChat template of each of the five
events with its field mapping (template key -> one of our values), and the log of the messages
sent to consumers (sent / refused by the user / waiting for quota), in the merchant's zone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.domain.errors import DomainError
from voucherbridge.notifications import settings as notify
from voucherbridge.web.console.forms import errors_of, form_status
from voucherbridge.web.console.session import ConsoleRoute, FormDep, Session, SessionDep, one

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
EventPath = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[a-z]+$")]
ROWS = 6  # field rows per event on the form
LOG = 100
FIELD_LABELS = {"template_id": "模板ID", "key": "模板字段", "value": "取值"}


def _page(
    request: Request,
    s: Session,
    *,
    failed: str | None = None,
    posted: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> Response:
    uow = s.container.uow
    events = notify.list_event_templates(uow(), actor=s.actor)
    forms = []
    for e in events:
        pairs = list(e.fields.items())
        if failed == e.event and posted is not None:
            pairs = posted["pairs"]
        pairs = pairs + [("", "")] * max(0, ROWS - len(pairs))
        template_id = posted["template_id"] if failed == e.event and posted else e.template_id
        forms.append({"event": e, "template_id": template_id, "pairs": pairs[:ROWS]})
    ctx = {
        "forms": forms,
        "values": notify.VALUE_LABELS,
        "sent": notify.list_sent(uow(), actor=s.actor, limit=LOG),
        "failed": failed,
        "errors": errors_of(error),
        "field_labels": FIELD_LABELS,
        "saved": request.query_params.get("saved"),
    }
    return s.page(request, "console/notifications.html", ctx, form_status(error))


@router.get("/console/notifications")
def notifications_page(request: Request, s: SessionDep) -> Response:
    return _page(request, s)


@router.post("/console/notifications/{event}")
def notification_template_save(
    request: Request, s: SessionDep, form: FormDep, event: EventPath
) -> Response:
    """Save one event's template id and field mapping (blank rows are left out)."""
    keys, values = form.get("key", []), form.get("value", [])
    pairs = [(k.strip(), v.strip()) for k, v in zip(keys, values, strict=False)]
    template_id = one(form, "template_id")
    try:
        fields: dict[str, str] = {}
        for key, value in pairs:
            if key or value:
                fields[key] = value
        notify.save_event_template(
            s.container.uow(write=True),
            actor=s.actor,
            event=event,
            template_id=template_id,
            fields=fields,
            now=s.container.clock(),
        )
    except DomainError as exc:
        posted = {"template_id": template_id.strip(), "pairs": pairs}
        return _page(request, s, failed=event, posted=posted, error=exc)
    return RedirectResponse(f"/console/notifications?saved={event}", status_code=303)
