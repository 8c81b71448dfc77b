"""What Douyin Open Platform answers mean for us: paths, error codes and the catalogue errors.

The codes are those Douyin publishes (local-life 平台返回状态码 page, the verify and cancel
pages; docs/platforms.md lists each with its source). A code not listed here is shown to the
merchant with Douyin's own description (``platform_refused``): what it means is never guessed.
"""

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

# Douyin did not do it, try again: 2100001 未知错误 (retry, says the table), 2100004 / 2119002
# 系统繁忙, 2119003 请求太过频繁 (backed off by the retry policy, then "try later"), 6001001
# 服务器打瞌睡了,请稍后再试.
RETRY_LATER = frozenset({2100001, 2100004, 2119002, 2119003, 6001001})
BAD_REQUEST = frozenset({2100005, 2119001})  # 参数不合法: the same call would fail again
TOKEN_PROBLEMS = frozenset({2190002, 2190008})  # access_token 无效 / 过期
NOT_AUTHORIZED = frozenset({2119005, 1508})  # 应用未获商家授权 / 商户未授权给应用
# The account has not opened group-buy (seed 002's FAQ: 团购未开启, the authorization fails).
# No published code was found: this is the simulator's [C] (docs/simulators.md).
GROUPBUY_NOT_OPEN = 2119901
TRANSFERRING = 2119006  # 该券码用户操作转赠中,暂不支持核销
TRANSFERRING_TEXT = "该券码用户操作转赠中,暂不支持核销"
GENERIC = 3000001  # 根据实际业务错误返回: the sub code says why
CANCEL_TOO_LATE_TEXT = "已超过可撤销时限,无法撤销核销"
CANCEL_TOO_LATE_SUB = 2034000910  # 已超过可撤销时限,无法撤销核销 (observed with 3000001)
NO_CERTIFICATE = 1212  # 查不到券信息
STORE_NOT_APPLICABLE = 3000002  # 所选门店不在商品适用门店内
ALREADY_CANCELLED = 1265  # 存在已撤销券
USED = 1208  # a verify_results item: 已使用
# A retried verify answered with these may mean the first attempt went through (verify page).
MAYBE_OURS = frozenset({USED, 2})
OAUTH_REJECTED = frozenset({10003, 10013})
OAUTH_RATE_LIMITED = 10020
TOKEN_REFRESH_SHARE = 0.8


def dict_of(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def int_of(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def text_of(value: Any) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""


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


def refusal(
    error: int,
    description: str,
    code: str = "",
    *,
    sub_error_code: int = 0,
    sub_description: str = "",
) -> DomainError:
    """One Douyin refusal (a whole call's, or one verify item's) as the merchant should read it."""
    said = (sub_description if error == GENERIC else "") or description or sub_description
    if error in RETRY_LATER or error in TOKEN_PROBLEMS:
        return unavailable()  # still so once the retries (or the token renewal) are spent
    if error in BAD_REQUEST:
        log.error("douyin.request_refused", error_code=error, description=said)
        return DomainError(
            ErrorCode.PLATFORM_REQUEST_INVALID,
            platform=PLATFORM_NOUN,
            description=said or str(error),
        )
    if error in NOT_AUTHORIZED:
        return DomainError(ErrorCode.BINDING_UNAUTHORIZED, platform=PLATFORM_NOUN)
    if error == GROUPBUY_NOT_OPEN:
        return DomainError(ErrorCode.BINDING_GROUPBUY_NOT_OPEN, platform=PLATFORM_NOUN)
    if error == NO_CERTIFICATE:
        return DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
    if error == USED:
        return DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=code, time="", store="")
    if error == STORE_NOT_APPLICABLE:
        return DomainError(ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=code, store="")
    if error == GENERIC and sub_error_code == CANCEL_TOO_LATE_SUB:
        # Douyin's own time limit, whatever our window says: its words, not our 60 minutes.
        return DomainError(
            ErrorCode.PLATFORM_REVERSAL_REFUSED,
            platform=PLATFORM_NOUN,
            description=said or CANCEL_TOO_LATE_TEXT,
        )
    if error == TRANSFERRING:
        said = said or TRANSFERRING_TEXT
    log.warning("douyin.refused", error_code=error, sub_error_code=sub_error_code, said=said)
    return DomainError(
        ErrorCode.PLATFORM_REFUSED,
        platform=PLATFORM_NOUN,
        description=said or f"错误码 {error}",
    )


def refusal_of(body: JsonDict, code: str = "") -> DomainError:
    """The refusal a whole answer carries (its ``error_code`` is not 0)."""
    extra, data = dict_of(body.get("extra")), dict_of(body.get("data"))
    return refusal(
        error_code(body),
        text_of(extra.get("description")) or text_of(data.get("description")),
        code,
        sub_error_code=int_of(extra.get("sub_error_code"), 0),
        sub_description=text_of(extra.get("sub_description")),
    )


def item_refusal(item: JsonDict, code: str) -> DomainError:
    """The refusal of one ``verify_results`` item (``result`` not 0, ``msg`` says why)."""
    return refusal(int_of(item.get("result"), -1), text_of(item.get("msg")), code)


def epoch(value: Any) -> datetime | None:
    """A Douyin time: integer seconds since the epoch (start_time, expire_time, extra.now)."""
    seconds = int_of(value, 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def platform_now(body: JsonDict) -> datetime:
    """Douyin's own clock (``extra.now``, seconds) decides expiry; ours may drift from it."""
    return epoch(dict_of(body.get("extra")).get("now")) or datetime.now(UTC)
