"""The micro-mall's settlements of a day (``/open/v1/settlements/query``, PROTOCOLS.md §4) as
statement lines: one row per use we told the mall of, ``status`` redeemed or reversed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from voucherbridge.platforms.ports import Credentials, StatementLine
from voucherbridge.platforms.weimall.client import WeimallClient


class WeimallSettlements:
    def __init__(self, client: WeimallClient) -> None:
        self._client = client

    def statement(self, credentials: Credentials, day: date) -> list[StatementLine]:
        rows = self._client.settlements(credentials, day)
        return [_line(r, credentials.platform_store_id) for r in rows]


def _text(value: Any) -> str:
    return str(value).strip()[:200] if value is not None else ""


def _fen(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _line(raw: dict[str, Any], store: str) -> StatementLine:
    return StatementLine(
        code=_text(raw.get("code")),
        amount_fen=_fen(raw.get("amount_fen")),
        status="reversed" if _text(raw.get("status")) == "reversed" else "redeemed",
        at=_time(raw.get("redeemed_at")),
        platform_store_id=_text(raw.get("store_id")) or store,
        reference=_text(raw.get("redemption_id")),
    )
