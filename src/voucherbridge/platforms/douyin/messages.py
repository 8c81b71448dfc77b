"""What Douyin's calls to us look like: the fields of each SPI body, our answers, and tolerant
readers for what it sends (a field may be missing or of another type)."""

from __future__ import annotations

import json
from typing import Any

from voucherbridge.domain.errors import DomainError, ErrorCode

RETRY_LATER = 2100005  # a system error: Douyin retries on its schedule
# A call whose signature fails is answered HTTP 200 with a non-zero ``data.error_code`` and
# 验签失败 (Douyin's SPI signature rules); 11004 is Douyin's own "签名校验失败" code.
SIGNATURE_FAILED = 11004
SIGNATURE_FAILED_TEXT = "验签失败"
ISSUED, STILL_ISSUING, FAILED = 1, 0, 2
AGREE, REJECT = 1, 2
# The messages Douyin sends to the webhook (PROTOCOLS.md §1.3), besides the URL check.
WEBHOOK_EVENTS = frozenset({"life_trade_certificate_notify", "life_trade_order_notify"})
# Douyin's SPI signature covers the query and the body but not the path, so the body must say
# which SPI it is: the fields each SPI needs, and none of those that mark another one. A signed
# issue call replayed to the refund path is then refused before anything is read from it.
SPI_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "issue": (frozenset({"order_id", "count", "sku"}), frozenset({"after_sale_id", "order_ids"})),
    "refund-apply": (
        frozenset({"order_id", "after_sale_id"}),
        frozenset({"sku", "count", "refund_status", "order_ids"}),
    ),
    "refund-notice": (
        frozenset({"order_id", "after_sale_id", "refund_status"}),
        frozenset({"sku", "count", "order_ids"}),
    ),
    "order-status": (
        frozenset({"order_ids"}),
        frozenset({"sku", "count", "after_sale_id", "refund_status"}),
    ),
}


def ok(**data: Any) -> dict[str, Any]:
    return {"data": {"error_code": 0, "description": "success", **data}}


def signature_refused() -> dict[str, Any]:
    return {"data": {"error_code": SIGNATURE_FAILED, "description": SIGNATURE_FAILED_TEXT}}


def system_error(description: str) -> dict[str, Any]:
    return {"data": {"error_code": RETRY_LATER, "description": description}}


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def content_of(value: Any) -> dict[str, Any]:
    """A webhook's ``content``: a JSON string in messages, an object in the URL check."""
    if isinstance(value, dict):
        return value
    return json_object(value.encode()) if isinstance(value, str) else {}


def object_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def label(value: Any) -> str | None:
    """A short text fit for a log field (whatever the platform sent)."""
    return value[:64] if isinstance(value, str) else None


def text_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=key)
    return str(value).strip()[:64]
