"""What the Dianping open API answers mean for us: paths, envelope codes, the catalogue errors
they map to (PROTOCOLS §5) and how its yuan prices and times are read. Envelope codes are the
simulator's [M] (no public list exists): see `sim_state`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import yuan_to_fen
from voucherbridge.platforms.meituan.signing import CHINA

log = structlog.get_logger("voucherbridge.meituan")
JsonDict = dict[str, Any]

PLATFORM = "meituan"
# The catalogue renders the noun "meituan" as 美团 (zh) / Meituan (en), see i18n NOUNS.
PLATFORM_NOUN = "meituan"

TOKEN = "/router/oauth/token"
SCOPE = "/router/oauth/session/scope"
SESSION_QUERY = "/router/oauth/session/query"
PREPARE = "/router/tuangou/receipt/prepare"
CONSUME = "/router/tuangou/receipt/consume"
REVERSE = "/router/tuangou/receipt/reverseconsume"
QUERY_BY_DATE = "/router/tuangou/receipt/querylistbydate"

OK, UNAUTHORIZED, WRONG_SHOP, NOT_FOUND, NOT_CONSUMED = 200, 401, 403, 404, 406
USED, EXPIRED, TOO_LATE = 409, 410, 412
RETRYABLE = frozenset({429, 500})
REVERSE_WINDOW_MINUTES = 10
OPERATOR = ("voucherbridge", "VoucherBridge")  # app_shop_account / name: audit only on their side


def unavailable() -> DomainError:
    return DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM_NOUN)


def rejected() -> DomainError:
    return DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM_NOUN)


def code_of(body: JsonDict) -> int:
    try:
        return int(body.get("code", -1))
    except (TypeError, ValueError):
        return -1


def voucher_error(body: JsonDict, receipt_code: str, *, at_prepare: bool = False) -> DomainError:
    """An error envelope about one receipt, as the cashier should read it (PROTOCOLS §5)."""
    code = code_of(body)
    if code == NOT_FOUND:
        return DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=receipt_code)
    if code == USED:
        return DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=receipt_code, time="", store="")
    if code == EXPIRED:
        return DomainError(ErrorCode.VOUCHER_EXPIRED, code=receipt_code)
    if code == WRONG_SHOP:
        return DomainError(ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=receipt_code, store="")
    if code == UNAUTHORIZED:
        # The stored session was refused (expired, revoked, shop no longer covered): retrying
        # will not help, so the cashier is told who can fix it rather than "try again later".
        log.warning("meituan.session_refused", msg=body.get("msg"))
        return DomainError(ErrorCode.BINDING_EXPIRED, platform=PLATFORM_NOUN)
    log.warning("meituan.refused", code=code, msg=body.get("msg"))
    # A parameter Dianping refuses at prepare means it cannot read this scan as a receipt.
    return (
        DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=receipt_code) if at_prepare else unavailable()
    )


def fen_of(value: Any) -> int:
    """Dianping prices are yuan decimals (39.9); read their text, never float arithmetic."""
    try:
        return yuan_to_fen(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return 0


_WALL_CLOCK = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def end_time(value: Any) -> datetime | None:
    """A receipt's end (``receipt_end_date`` / ``receiptEndDate``) in any form the published
    clients show: a string (Dianping's Go SDK types it so), either Beijing wall-clock text
    ("2023-11-30 23:59:59", to the minute, or a bare date meaning its last second) or epoch
    milliseconds as digits, or an integer of epoch ms (a real prepare answer)."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        ms = int(text)
        return datetime.fromtimestamp(ms / 1000, UTC) if ms > 0 else None
    match = _WALL_CLOCK.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        if hour is None:
            clock = time(23, 59, 59)
        else:
            clock = time(int(hour), int(minute), int(second or 0))
        day_of = datetime(int(year), int(month), int(day), tzinfo=CHINA).date()
    except ValueError:
        return None
    return datetime.combine(day_of, clock, tzinfo=CHINA).astimezone(UTC)
