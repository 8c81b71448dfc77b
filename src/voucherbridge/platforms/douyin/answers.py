"""What Douyin Open Platform answers mean for us: paths, error codes and the catalogue errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from voucherbridge.domain.errors import DomainError, ErrorCode

log = structlog.get_logger("voucherbridge.douyin")
JsonDict = dict[str, Any]

PLATFORM = "douyin"
# The catalogue renders the noun "douyin" as 抖音 (zh) / Douyin (en), see i18n NOUNS.
PLATFORM_NOUN = "douyin"
DEFAULT_SHORT_LINK_BASE = "https://v.douyin.com"

PREPARE = "/goodlife/v1/fulfilment/certificate/prepare/"
VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
GET = "/goodlife/v1/fulfilment/certificate/get/"
POI_QUERY = "/goodlife/v1/shop/poi/query/"
TOKEN = "/oauth/stable_client_token/"

# Douyin answers (PROTOCOLS §1, simulator sim_wire).
SERVER_BUSY = 2100005
TOKEN_PROBLEMS = frozenset({2190002, 2190008})
OAUTH_REJECTED = frozenset({10003, 10013})
OAUTH_RATE_LIMITED = 10020
CODE_NOT_FOUND = frozenset({2119001, 1212})
VERIFY_TOKEN_INVALID = 2119002
POI_MISMATCH = 2119003
USED, EXPIRED, REFUNDED, WRONG_POI, NOT_YET = 1208, 1209, 1210, 1211, 1213
ALREADY_CANCELLED = 2119006
VERIFY_NOT_FOUND = 2119005
CANCEL_TOO_LATE = frozenset({3000001, 2034000910})
CANCEL_WINDOW_MINUTES = 60
TOKEN_REFRESH_SHARE = 0.8


def dict_of(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def int_of(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def error_code(body: JsonDict) -> int:
    """Non-zero when either ``extra.error_code`` or ``data.error_code`` is; absent counts as 0."""
    for value in (
        dict_of(body.get("extra")).get("error_code"),
        dict_of(body.get("data")).get("error_code"),
    ):
        code = int_of(value, 0)
        if code != 0:
            return code
    return 0


def unavailable() -> DomainError:
    return DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM_NOUN)


def rejected() -> DomainError:
    return DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM_NOUN)


def voucher_error(result: int, code: str, *, at_prepare: bool = False) -> DomainError:
    """A Douyin whole-call or per-item code about one voucher, as the cashier should read it."""
    if result == USED:
        return DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=code, time="", store="")
    if result == EXPIRED:
        return DomainError(ErrorCode.VOUCHER_EXPIRED, code=code)
    if result == REFUNDED:
        return DomainError(ErrorCode.VOUCHER_VOIDED, code=code)
    if result in (WRONG_POI, POI_MISMATCH):
        return DomainError(ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=code, store="")
    if result == NOT_YET:
        return DomainError(ErrorCode.VOUCHER_NOT_YET_VALID, code=code, valid_from="")
    if result in CODE_NOT_FOUND or at_prepare:
        # PROTOCOLS §5: any other refusal of prepare means Douyin does not know this scan, which
        # also lets a scan asked of several platforms fall to the one that knows it.
        return DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
    # An expired verify_token, a parameter Douyin refuses, a code we do not know: nothing the
    # cashier can fix at this scan, but a fresh scan (new prepare) may well work.
    return unavailable()


def epoch(value: Any) -> datetime | None:
    seconds = int_of(value, 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def platform_now(body: JsonDict) -> datetime:
    """Douyin's own clock (``extra.now``, ms) decides expiry; ours may drift from it."""
    now_ms = int_of(dict_of(body.get("extra")).get("now"), 0)
    return datetime.fromtimestamp(now_ms / 1000, UTC) if now_ms > 0 else datetime.now(UTC)
