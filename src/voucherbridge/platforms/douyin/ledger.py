"""Douyin's statement of a day (账单查询, ``settle/ledger/query``, PROTOCOLS.md §1.3), paged.

Each ledger line is one verification Douyin settles; amounts are fen. A line with ``status``
2 (or a ``cancel_time``) is a verification Douyin shows as undone [M: the ledger of a real
account lists settled lines; the simulator can be told to show a cancelled one].
"""

from __future__ import annotations

from datetime import date

from voucherbridge.platforms.douyin.answers import (
    dict_of,
    epoch,
    error_code,
    int_of,
    refusal_of,
    text_of,
)
from voucherbridge.platforms.douyin.client import DouyinClient
from voucherbridge.platforms.ports import Credentials, StatementLine

LEDGER = "/goodlife/v1/settle/ledger/query/"
PAGE_SIZE = 50
MAX_PAGES = 400  # 20,000 lines of one store and day: far beyond a real day


class DouyinLedger:
    """The ledger calls, on the client's wire (its HTTP pool, retries and the app token)."""

    def __init__(self, client: DouyinClient) -> None:
        self._api = client._api  # the one wire of the process: same pool and token

    def statement(self, credentials: Credentials, day: date) -> list[StatementLine]:
        """Every line of the store's POI for the China day ``day``."""
        lines: list[StatementLine] = []
        cursor = "0"
        for _ in range(MAX_PAGES):
            body = self._api.call(
                "GET",
                LEDGER,
                params={
                    "account_id": credentials.account_id,
                    "bill_date": day.isoformat(),
                    "cursor": cursor,
                    "size": str(PAGE_SIZE),
                    "poi_ids": credentials.platform_store_id,
                },
            ).body
            if error_code(body):
                raise refusal_of(body)
            data = dict_of(body.get("data"))
            for raw in data.get("ledger_records") or []:
                line = _line(dict_of(raw))
                if line.platform_store_id in ("", credentials.platform_store_id):
                    lines.append(line)
            following = text_of(data.get("cursor"))
            if not data.get("has_more") or following in ("", cursor):
                break
            cursor = following
        return lines


def _line(raw: dict[str, object]) -> StatementLine:
    certificate = dict_of(raw.get("certificate"))
    amount = dict_of(raw.get("amount"))
    cancelled = int_of(raw.get("status"), 1) == 2 or int_of(raw.get("cancel_time"), 0) > 0
    return StatementLine(
        code=text_of(certificate.get("code")),
        amount_fen=int_of(amount.get("pay"), int_of(amount.get("ledger_total"), 0)),
        status="reversed" if cancelled else "redeemed",
        at=epoch(raw.get("verify_time")),
        platform_store_id=text_of(raw.get("poi_id")),
        reference=text_of(raw.get("ledger_id") or raw.get("id") or raw.get("verify_id")),
    )
