"""Turning posted console forms into the admin API's request shapes.

The rules stay in one place: values are checked by the admin API's pydantic models and then by
the services; this module only converts text (yuan, numbers, check boxes) and names the field
an error belongs to, so the page can show the catalogue message next to it.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ValidationError

from voucherbridge.catalogue.templates import TemplateView
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str, yuan_to_fen
from voucherbridge.i18n.catalogue import CATALOGUE
from voucherbridge.web.console.session import one

Form = dict[str, list[str]]
YUAN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
MONEY_FIELDS = ("face_value_fen", "price_fen", "package_price_fen", "min_spend_fen")


# Statuses that refuse the user or the target, not the input: a form answers them as the API.
REFUSALS = frozenset({401, 403, 404, 429})


def invalid(field: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, field=field)


def errors_of(error: DomainError | None) -> dict[str, DomainError]:
    """A form's error keyed by the field it sits next to ("form" for the whole form)."""
    return {field_of(error) or "form": error} if error else {}


def form_status(error: DomainError | None, invalid_status: int = 400) -> int:
    """The status of a form page sent back: the API's own status for a refusal (403 for
    something the user may not touch or a store HQ closed, 404 for what is not there, 401,
    429), `invalid_status` for bad input."""
    if error is None:
        return 200
    status = CATALOGUE[error.code].status
    return status if status in REFUSALS else invalid_status


def field_of(error: DomainError) -> str:
    """The form field a service error is about ("" when it is about the whole form)."""
    field = error.params.get("field")
    if isinstance(field, str):
        return "valid_from" if field == "valid_from/valid_to" else field
    if error.code is ErrorCode.NOT_FOUND and error.params.get("what") == "store":
        return "store_ids"
    return ""


def yuan(text: str, field: str) -> int:
    """ "19.90" → 1990 fen: digits with at most two decimals; no signs, exponents or words."""
    clean = text.strip().replace(",", "").replace("¥", "").removesuffix("元")
    if not YUAN.fullmatch(clean):
        raise invalid(field)
    return yuan_to_fen(clean)


def whole(text: str, field: str) -> int:
    clean = text.strip()
    if not clean.isdigit() or len(clean) > 12:
        raise invalid(field)
    return int(clean)


def checked_ints(form: Form, key: str) -> list[int]:
    try:
        return sorted({int(v) for v in form.get(key, []) if v.strip()})
    except ValueError as exc:
        raise invalid(key) from exc


def check(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Validate with the admin API's model; its first complaint names the field."""
    try:
        return model.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first.get("loc", ())]
        raise invalid(loc[0] if loc else "form") from exc


def template_spec(form: Form) -> dict[str, Any]:
    """A template form → the admin API's TemplateCreate / TemplateUpdate body."""
    spec: dict[str, Any] = {
        "kind": one(form, "kind"),
        "name": one(form, "name").strip(),
        "validity_mode": one(form, "validity_mode"),
        "item_codes": [c for c in form.get("item_codes", []) if c.strip()],
        "store_ids": checked_ints(form, "store_ids"),
        "weekdays": checked_ints(form, "weekdays"),
        "stackable": one(form, "stackable") == "on",
        "active": one(form, "active") == "on",
    }
    for key in MONEY_FIELDS:
        text = one(form, key.removesuffix("_fen"))
        if text.strip() or key in ("face_value_fen", "price_fen"):
            spec[key] = yuan(text, key)
    spec["per_order_limit"] = whole(one(form, "per_order_limit", "1"), "per_order_limit")
    if spec["validity_mode"] == "relative":
        spec["valid_days"] = whole(one(form, "valid_days"), "valid_days")
        spec["valid_from"] = spec["valid_to"] = None
    else:
        spec["valid_from"] = one(form, "valid_from").strip() or None
        spec["valid_to"] = one(form, "valid_to").strip() or None
        spec["valid_days"] = None
    windows = []
    for start, end in zip(form.get("window_start", []), form.get("window_end", []), strict=False):
        if start.strip() or end.strip():
            windows.append({"start": start.strip(), "end": end.strip()})
    spec["time_windows"] = windows
    return spec


def template_values(view: TemplateView | None) -> dict[str, Any]:
    """What the template form shows: a saved template's rules in yuan, or the defaults."""
    if view is None:
        return {
            "kind": "cash",
            "validity_mode": "relative",
            "valid_days": "90",
            "per_order_limit": "1",
            "stackable": True,
            "active": True,
            "item_codes": [],
            "store_ids": [],
            "weekdays": [],
            "time_windows": [],
        }
    shown = asdict(view)
    for key in MONEY_FIELDS:
        shown[key.removesuffix("_fen")] = fen_to_yuan_str(shown[key]) if shown[key] else ""
    return shown


def posted_values(form: Form) -> dict[str, Any]:
    """The form as typed, so a refused form comes back with the user's own input."""
    shown: dict[str, Any] = {k: v[0] for k, v in form.items() if v}
    shown["item_codes"] = form.get("item_codes", [])
    for key in ("store_ids", "weekdays"):
        shown[key] = [int(v) for v in form.get(key, []) if v.isdigit()]
    shown["stackable"] = one(form, "stackable") == "on"
    shown["active"] = one(form, "active") == "on"
    shown["time_windows"] = [
        {"start": s, "end": e}
        for s, e in zip(form.get("window_start", []), form.get("window_end", []), strict=False)
    ]
    return shown
