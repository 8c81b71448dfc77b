"""Consumer notifications, the pure part: the five events, the values a template field may
show, checking a merchant's field mapping, and rendering one message's fields.

A WeChat template (PROTOCOLS.md §3) is an id and keys such as ``thing1`` or ``amount2``; the
merchant maps each key to one of our values (`VALUES`). Since 2023-05-04 WeChat shows at most 20
characters per field, no line breaks: values are flattened and cut to fit here, so a long item
name never gets the whole message refused (47003).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str

# event -> what the console calls it
EVENTS: dict[str, str] = {
    "issued": "购买成功(发券)通知",
    "redeemed": "票券核销通知",
    "reversed": "撤销核销(退券)通知",
    "checkout": "消费完成通知",
    "expiring": "票券到期提醒(到期前3天)",
}
# value name -> what the console calls it
VALUES: dict[str, str] = {
    "code": "券码(隐去中间位)",
    "item_name": "商品名称",
    "store_name": "门店名称",
    "amount_yuan": "金额(元)",
    "time": "时间",
    "expiry_date": "到期日期",
}
FIELD_LIMIT = 20
MAX_FIELDS = 10
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
TEMPLATE_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
EXPIRING_DAYS = 3


@dataclass(frozen=True, slots=True)
class NotificationFacts:
    """What one message may say, as written down when the event happened (UTC times)."""

    event: str
    code: str
    item_name: str
    store_name: str
    amount_fen: int
    at: datetime
    valid_until: datetime | None
    timezone: str


def check_event(event: str) -> str:
    if event not in EVENTS:
        raise DomainError(ErrorCode.NOT_FOUND, what="notification_event")
    return event


def check_template(template_id: str, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A template id and its mapping (template key -> value name), checked: empty id with an
    empty mapping means "not sent"; an unknown value name is `notification_value_unknown`."""
    template_id = template_id.strip()
    clean: dict[str, str] = {}
    for raw_key, raw_value in fields.items():
        key, value = raw_key.strip(), raw_value.strip()
        if not key and not value:
            continue
        if not KEY.fullmatch(key):
            raise DomainError(ErrorCode.NOTIFICATION_TEMPLATE_INVALID, field="key", key=key)
        if value not in VALUES:
            raise DomainError(
                ErrorCode.NOTIFICATION_VALUE_UNKNOWN,
                field="value",
                key=key,
                value=value,
                known="、".join(VALUES),
            )
        clean[key] = value
    if len(clean) > MAX_FIELDS:
        raise DomainError(ErrorCode.NOTIFICATION_TEMPLATE_INVALID, field="key", key="…")
    if template_id and not TEMPLATE_ID.fullmatch(template_id):
        raise DomainError(ErrorCode.NOTIFICATION_TEMPLATE_INVALID, field="template_id", key="")
    if template_id and not clean:
        raise DomainError(ErrorCode.NOTIFICATION_TEMPLATE_INVALID, field="key", key="")
    if clean and not template_id:
        raise DomainError(ErrorCode.NOTIFICATION_TEMPLATE_INVALID, field="template_id", key="")
    return template_id, clean


def fit(text: str) -> str:
    """One field as WeChat shows it: no line breaks, at most 20 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= FIELD_LIMIT else flat[: FIELD_LIMIT - 1] + "…"


def value_of(name: str, facts: NotificationFacts) -> str:
    zone = ZoneInfo(facts.timezone)
    if name == "code":
        return mask_code(facts.code)
    if name == "item_name":
        return facts.item_name
    if name == "store_name":
        return facts.store_name or "-"
    if name == "amount_yuan":
        return f"{fen_to_yuan_str(facts.amount_fen)}元"
    if name == "time":
        return facts.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if name == "expiry_date":
        until = facts.valid_until
        return until.astimezone(zone).strftime("%Y-%m-%d") if until else "-"
    raise DomainError(ErrorCode.NOTIFICATION_VALUE_UNKNOWN, key="", value=name, known="")


def render_fields(fields: Mapping[str, str], facts: NotificationFacts) -> dict[str, str]:
    """The template's data: each key with its value, fitted to WeChat's field rules."""
    return {key: fit(value_of(name, facts)) for key, name in fields.items()}
