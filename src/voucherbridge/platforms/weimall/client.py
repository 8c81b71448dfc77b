"""Micro-mall open API client (PROTOCOLS.md §4): binding test, use and reversal sync, statements.

Every call is one signed envelope (`signing.build_envelope`, client_id = platform store id). The
mall answers business failures as HTTP 200 with a ``code``; only transport failures, HTTP 5xx /
429, an unreadable answer and codes >= 50000 are retried (tenacity, exponential backoff with
jitter). A retry resends the *same* envelope (same msg_id and redemption_id, ``send_count``
bumped), so a use whose answer was lost is applied once by the mall.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import structlog

from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import Credentials
from voucherbridge.platforms.transport import (
    Transient,
    json_object,
    platform_http,
    sent,
    with_retries,
)
from voucherbridge.platforms.weimall.signing import build_envelope

log = structlog.get_logger("voucherbridge.weimall")
JsonDict = dict[str, Any]

PLATFORM_NOUN = "weimall"
PING = "/open/v1/ping"
REDEEMED = "/open/v1/vouchers/redeemed"
REVERSED = "/open/v1/vouchers/reversed"
SETTLEMENTS = "/open/v1/settlements/query"
TYPES = {
    PING: "PING",
    REDEEMED: "VOUCHER_REDEEMED",
    REVERSED: "VOUCHER_REVERSED",
    SETTLEMENTS: "SETTLEMENT_QUERY",
}

BAD_SIGN, NOT_FOUND, ALREADY_USED, VOIDED, WINDOW_CLOSED = 40001, 40401, 40901, 40902, 42201
RETRYABLE_FROM = 50000
REVERSAL_WINDOW_MINUTES = 60


def _unavailable() -> DomainError:
    return DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM_NOUN)


def _code(body: JsonDict) -> int:
    value = body.get("code")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Transient("answer has no code")


class WeimallClient:
    """One per process: keeps the HTTP connection pool; credentials come with each call."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        retry_wait_s: float = 0.5,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
        now_s: Callable[[], int] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry_wait_s = max(0.0, retry_wait_s)
        self.max_attempts = max(1, max_attempts)
        self.http = http or platform_http(self.base_url, timeout_s=timeout_s, platform="weimall")
        self._now_s = now_s or (lambda: int(time.time()))

    def close(self) -> None:
        self.http.close()

    # ---- transport ---------------------------------------------------------------------------
    def _call(self, store_id: str, secret: str, path: str, payload: JsonDict) -> JsonDict:
        """POST one envelope, resending it on transient failures; the mall's answer body."""
        envelope = build_envelope(store_id, secret, TYPES[path], payload, now_s=self._now_s())
        sends = 0

        def once() -> JsonDict:
            nonlocal sends
            sends += 1
            envelope["send_count"] = sends
            response = sent(lambda: self.http.post(path, json=envelope))
            body = json_object(response, platform="weimall", unavailable=_unavailable)
            if _code(body) >= RETRYABLE_FROM:
                raise Transient(f"code {body['code']}")
            return body

        return with_retries(
            once,
            platform="weimall",
            what=path,
            attempts=self.max_attempts,
            wait_s=self.retry_wait_s,
            unavailable=_unavailable,
        )

    def _checked(
        self, store_id: str, secret: str, path: str, payload: JsonDict, code: str = ""
    ) -> JsonDict:
        """The answer's ``data`` when the code is 0, else the catalogue error it means."""
        body = self._call(store_id, secret, path, payload)
        result = _code(body)
        if result == 0:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        log.info("weimall.refused", call=path, code=result, msg=str(body.get("msg"))[:200])
        if result == BAD_SIGN:
            raise DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM_NOUN)
        if result == NOT_FOUND:
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
        if result == ALREADY_USED:
            raise DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=code, time="", store="")
        if result == VOIDED:
            raise DomainError(ErrorCode.VOUCHER_VOIDED, code=code)
        if result == WINDOW_CLOSED:
            raise DomainError(ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=REVERSAL_WINDOW_MINUTES)
        # A code outside the contract: nothing the cashier can fix, and not known to be applied.
        raise _unavailable()

    # ---- calls -------------------------------------------------------------------------------
    def test_binding(self, platform_store_id: str, secret: str) -> str:
        """The signed ping; the mall store's name (BINDING_REJECTED for a wrong id or secret)."""
        data = self._checked(platform_store_id, secret, PING, {})
        return str(data.get("store_name") or "")

    def redeemed(
        self,
        credentials: Credentials,
        *,
        code: str,
        redemption_id: str,
        store_id: str,
        order_no: str,
        discount_fen: int,
        redeemed_at: str,
    ) -> None:
        """Tell the mall a code was used; idempotent on ``redemption_id`` at the mall."""
        payload = {
            "code": code,
            "redemption_id": redemption_id,
            "store_id": store_id,
            "order_no": order_no,
            "discount_fen": discount_fen,
            "redeemed_at": redeemed_at,
        }
        self._checked(credentials.platform_store_id, credentials.secret, REDEEMED, payload, code)
        log.info("weimall.redeemed", code=mask_code(code), redemption_id=redemption_id)

    def reversed(
        self,
        credentials: Credentials,
        *,
        code: str,
        redemption_id: str,
        reversed_at: str,
        reason: str,
    ) -> None:
        """Tell the mall a use was undone (REVERSAL_WINDOW_CLOSED once the mall's hour is over)."""
        payload = {
            "code": code,
            "redemption_id": redemption_id,
            "reversed_at": reversed_at,
            "reason": reason,
        }
        self._checked(credentials.platform_store_id, credentials.secret, REVERSED, payload, code)
        log.info("weimall.reversed", code=mask_code(code), redemption_id=redemption_id)

    def settlements(self, credentials: Credentials, day: date) -> list[JsonDict]:
        """The mall's statement rows of one China day."""
        data = self._checked(
            credentials.platform_store_id,
            credentials.secret,
            SETTLEMENTS,
            {"date": day.isoformat()},
        )
        rows = data.get("rows")
        return [dict(r) for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
