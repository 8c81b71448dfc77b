"""Console pages for who did what: the audit log (操作日志) and the staff list (员工).

The audit log pages by `before_id` like GET /api/admin/v1/audit, and a store manager sees the
rows of their stores (the use case filters); only HQ lists, creates and deactivates users.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.api.schemas.admin_users import UserCreate
from voucherbridge.audit import alerts
from voucherbridge.chain import stores, terminals, users
from voucherbridge.domain.errors import DomainError
from voucherbridge.web.console.forms import check, checked_ints, errors_of, form_status
from voucherbridge.web.console.session import (
    FIELD_LABELS,
    ConsoleRoute,
    FormDep,
    IdPath,
    Session,
    SessionDep,
    one,
    typed,
)

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
PAGE = 50
SHOWN = 80  # characters of one before/after value on the page
ROLE_LABELS = {"hq_admin": "总部管理员", "store_manager": "门店店长", "cashier": "收银员"}
STAFF_FIELDS = {
    **FIELD_LABELS,
    "username": "用户名",
    "display_name": "姓名",
    "password": "初始密码",
    "role": "角色",
    "store_ids": "所属门店",
}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[tuple[str, str, str]]:
    """What an audit row changed, key by key: (key, before, after); unchanged keys left out
    when both sides exist, every key of the side there is otherwise (a creation, a removal)."""
    old, new = before or {}, after or {}
    keys = list(dict.fromkeys([*old, *new]))
    rows = []
    for key in keys:
        if before is not None and after is not None and old.get(key) == new.get(key):
            continue
        rows.append(
            (
                key,
                _short(old[key]) if key in old else "",
                _short(new[key]) if key in new else "",
            )
        )
    return rows


def actor_names(s: Session) -> dict[str, str]:
    """`terminal:3` and `user:1` as the till's and the person's names, where this user may see
    them (a manager sees the tills of their stores; only HQ lists users)."""
    uow = s.container.uow
    names = {f"terminal:{t.id}": t.name for t in terminals.list_terminals(uow(), actor=s.actor)}
    if s.actor.is_hq:
        for u in users.list_users(uow(), actor=s.actor):
            names[f"user:{u.id}"] = u.display_name or u.username
    return names


@router.get("/console/audit")
def audit_log(
    request: Request,
    s: SessionDep,
    action: str = Query("", max_length=64),
    before_id: int | None = Query(None, ge=1, le=2**62),
) -> Response:
    asked = action.strip()
    page = alerts.list_audit(
        s.container.uow(), actor=s.actor, action=asked or None, before_id=before_id, limit=PAGE
    )
    store_names = {st.id: st.name for st in stores.list_stores(s.container.uow(), actor=s.actor)}
    rows = [
        {"entry": e, "actor": f"{e.actor_type}:{e.actor_id}", "changes": changes(e.before, e.after)}
        for e in page.items
    ]
    ctx = {
        "rows": rows,
        "action": asked,
        "next_before_id": page.next_before_id,
        "paged": before_id is not None,
        "actors": actor_names(s),
        "store_names": store_names,
    }
    return s.page(request, "console/audit.html", ctx)


def _staff_page(
    request: Request,
    s: Session,
    posted: dict[str, Any] | None = None,
    error: DomainError | None = None,
) -> Response:
    uow = s.container.uow
    people = users.list_users(uow(), actor=s.actor)  # HQ only: a manager gets the 403 page
    store_rows = stores.list_stores(uow(), actor=s.actor)
    ctx = {
        "people": people,
        "stores": store_rows,
        "store_names": {st.id: st.name for st in store_rows},
        "roles": ROLE_LABELS,
        "posted": posted or {"role": "cashier", "store_ids": []},
        "errors": errors_of(error),
        "field_labels": STAFF_FIELDS,
        "created": request.query_params.get("created"),
    }
    return s.page(request, "console/staff.html", ctx, form_status(error))


@router.get("/console/staff")
def staff_list(request: Request, s: SessionDep) -> Response:
    return _staff_page(request, s)


@router.post("/console/staff")
def staff_create(request: Request, s: SessionDep, form: FormDep) -> Response:
    c = s.container
    posted: dict[str, Any] = typed(form, "password")
    posted["store_ids"] = [int(v) for v in form.get("store_ids", []) if v.isdigit()]
    try:
        body = check(
            UserCreate,
            {
                "username": one(form, "username").strip(),
                "display_name": one(form, "display_name").strip(),
                "password": one(form, "password"),
                "role": one(form, "role"),
                "store_ids": checked_ints(form, "store_ids"),
            },
        )
        created = users.create_user(c.uow(write=True), actor=s.actor, now=c.clock(), **body)
    except DomainError as exc:
        return _staff_page(request, s, posted, exc)
    return RedirectResponse(f"/console/staff?created={created.id}", status_code=303)


@router.post("/console/staff/{user_id}/active")
def staff_activate(request: Request, s: SessionDep, form: FormDep, user_id: IdPath) -> Response:
    """Deactivate (ends their sessions) or reactivate a user; `active` is "0" or "1"."""
    users.update_user(
        s.container.uow(write=True),
        actor=s.actor,
        user_id=user_id,
        changes=users.UserChanges(active=one(form, "active") == "1"),
        now=s.container.clock(),
    )
    return RedirectResponse("/console/staff", status_code=303)
