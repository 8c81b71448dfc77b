"""An uploaded statement (对账单 CSV) read into statement lines.

Accepted format (documented in docs/reconciliation.md): a header row, then one row per code.
Headers are matched by name, Chinese or English, in any order; unknown columns are ignored:

- code (required): 券码 | 券号 | code | certificate_code | receipt_code
- amount (required, one of): 金额 | 金额(元) | 结算金额(元) | amount_yuan | deal_price (yuan,
  "59.90") or 金额(分) | amount_fen (integer fen)
- status: 状态 | status — 已核销/核销/redeemed/verified/1 or 已撤销/撤销/reversed/cancelled/2
  (empty: redeemed)
- time: 核销时间 | verify_time | redeemed_at — "2026-12-01 12:30:00" (merchant's zone) or ISO 8601
- store: 门店 | store_id | poi_id | open_shop_uuid — rows of another platform store are skipped

UTF-8 (with or without BOM) or GB18030, as Excel saves Chinese text; comma separated.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import yuan_to_fen
from voucherbridge.platforms.ports import StatementLine

MAX_ROWS = 50_000
CODE = ("券码", "券号", "code", "certificate_code", "receipt_code")
YUAN = ("金额", "金额(元)", "金额（元）", "结算金额(元)", "结算金额", "amount_yuan", "deal_price")
FEN = ("金额(分)", "金额（分）", "amount_fen")
STATUS = ("状态", "status")
TIME = ("核销时间", "verify_time", "redeemed_at", "time")
STORE = ("门店", "门店id", "store_id", "poi_id", "open_shop_uuid")
REDEEMED = {"", "已核销", "核销", "已验证", "redeemed", "verified", "used", "1"}
REVERSED = {"已撤销", "撤销", "已撤销核销", "reversed", "cancelled", "canceled", "2"}


def _bad(where: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, field=f"csv {where}")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _bad("encoding")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {n.lower() for n in names}
    for index, name in enumerate(header):
        if name.strip().lower() in wanted:
            return index
    return None


def _time(text: str, zone: ZoneInfo, where: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise _bad(where) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_statement(
    content: bytes, *, zone: ZoneInfo, platform_store_id: str
) -> list[StatementLine]:
    """The rows of the file; a bad file is a validation_error naming the row and column."""
    rows = list(csv.reader(io.StringIO(_decode(content))))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise _bad("header")
    if len(rows) > MAX_ROWS + 1:
        raise _bad("rows")
    header = rows[0]
    code_at, yuan_at, fen_at = _column(header, CODE), _column(header, YUAN), _column(header, FEN)
    status_at, time_at = _column(header, STATUS), _column(header, TIME)
    store_at = _column(header, STORE)
    if code_at is None:
        raise _bad("header: code")
    if yuan_at is None and fen_at is None:
        raise _bad("header: amount")
    lines: list[StatementLine] = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(at: int | None, row: list[str] = row) -> str:
            return row[at].strip() if at is not None and at < len(row) else ""

        code = cell(code_at).lstrip("'")
        if not code or len(code) > 64:
            raise _bad(f"row {number}: code")
        try:
            amount = int(cell(fen_at)) if fen_at is not None else yuan_to_fen(cell(yuan_at))
        except ValueError as exc:
            raise _bad(f"row {number}: amount") from exc
        status_text = cell(status_at).lower()
        if status_text not in REDEEMED | REVERSED:
            raise _bad(f"row {number}: status")
        store = cell(store_at)
        if store and platform_store_id and store != platform_store_id:
            continue
        lines.append(
            StatementLine(
                code=code,
                amount_fen=amount,
                status="reversed" if status_text in REVERSED else "redeemed",
                at=_time(cell(time_at), zone, f"row {number}: time"),
                platform_store_id=store or platform_store_id,
                reference=f"csv:{number}",
            )
        )
    return lines
