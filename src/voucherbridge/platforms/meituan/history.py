"""Dianping's receipt history of a day (``querylistbydate``, PROTOCOLS.md §2): the settlement
source, read page by page and turned into statement lines.

A record's ``deal_price`` (yuan, read as text) is what the shop is settled for the receipt. The
history lists consumes; one shown as reversed carries ``status`` 2 or ``reversed`` [M: no public
field list; the simulator can be told to show one].
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from voucherbridge.platforms.meituan.answers import fen_of
from voucherbridge.platforms.meituan.client import MeituanClient
from voucherbridge.platforms.meituan.signing import parse_timestamp
from voucherbridge.platforms.ports import Credentials, StatementLine

PAGE_SIZE = 100  # the most querylistbydate gives at once
MAX_PAGES = 200
REVERSED = frozenset({"2", "reversed", "cancelled", "已撤销"})


class MeituanHistory:
    def __init__(self, client: MeituanClient) -> None:
        self._client = client

    def statement(self, credentials: Credentials, day: date) -> list[StatementLine]:
        """Every record of the shop for the Beijing day ``day``."""
        lines: list[StatementLine] = []
        for page in range(MAX_PAGES):
            total, records = self._client.consumed_on(
                credentials, day, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
            lines.extend(_line(r, credentials.platform_store_id) for r in records)
            if not records or len(lines) >= total:
                break
        return lines


def _text(value: Any) -> str:
    return str(value).strip()[:200] if value is not None else ""


def _time(value: Any) -> datetime | None:
    try:
        return parse_timestamp(_text(value))
    except ValueError:
        return None


def _line(raw: dict[str, Any], shop: str) -> StatementLine:
    return StatementLine(
        code=_text(raw.get("receipt_code")),
        amount_fen=fen_of(raw.get("deal_price")),
        status="reversed" if _text(raw.get("status")).lower() in REVERSED else "redeemed",
        at=_time(raw.get("verify_time")),
        platform_store_id=_text(raw.get("open_shop_uuid")) or shop,
        reference=_text(raw.get("requestid") or raw.get("order_id")),
    )
