"""Meituan / Dianping group-buy client (legacy 北极星 open API, PROTOCOLS.md §2): receipt
prepare / consume / reverse, the merchant session's shops for the binding test, and the
authorization and settlement calls around them.

Every call is a signed form POST (`signing.signed_params`) answered with HTTP 200 and
``{"code","msg","data"}``. Only transport failures, HTTP 5xx / 429, an unreadable answer and the
envelope codes 429 / 500 are retried (tenacity, exponential backoff with jitter). A consume is
retried too, but always with the *same* ``requestid`` (our redemption id): Dianping answers a
repeated requestid with its first result instead of consuming again, so an ambiguous attempt
(sent, answer lost) never becomes a second use. Nothing here ever mints a new requestid.

Credentials: ``platform_store_id`` is the ``open_shop_uuid``, the secret is the merchant's
session (`session.MeituanSession`: the ``access_token`` with the ``bid`` and refresh data the
token exchange returned, or a bare token). Meituan sends us nothing, so there is no inbound
verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

import httpx

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.meituan.answers import (
    CONSUME,
    NOT_CONSUMED,
    NOT_FOUND,
    OK,
    OPERATOR,
    PLATFORM,
    PREPARE,
    QUERY_BY_DATE,
    RETRYABLE,
    REVERSE,
    REVERSE_WINDOW_MINUTES,
    SCOPE,
    SESSION_QUERY,
    TOKEN,
    TOO_LATE,
    JsonDict,
    code_of,
    end_time,
    fen_of,
    log,
    rejected,
    unavailable,
    voucher_error,
)
from voucherbridge.platforms.meituan.session import MeituanSession, SessionGrant
from voucherbridge.platforms.meituan.signing import signed_params
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge.platforms.transport import (
    Transient,
    json_object,
    platform_http,
    sent,
    with_retries,
)

T = TypeVar("T")


class MeituanClient:
    """One per process: keeps the HTTP connection pool; stateless otherwise."""

    def __init__(
        self,
        base_url: str,
        app_key: str,
        app_secret: str,
        *,
        timeout_s: float = 5.0,
        retry_wait_s: float = 0.5,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key, self.app_secret = app_key, app_secret
        self.retry_wait_s = max(0.0, retry_wait_s)
        self.max_attempts = max(1, max_attempts)
        self.http = http or platform_http(self.base_url, timeout_s=timeout_s, platform="meituan")
        self._now = now or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.http.close()

    # ---- transport ---------------------------------------------------------------------------
    def _retrying(self, call: Callable[[], T], what: str) -> T:
        return with_retries(
            call,
            platform="meituan",
            what=what,
            attempts=self.max_attempts,
            wait_s=self.retry_wait_s,
            unavailable=unavailable,
        )

    def _post(self, path: str, form: dict[str, str]) -> JsonDict:
        response = sent(lambda: self.http.post(path, data=form))
        body = json_object(response, platform="meituan", unavailable=unavailable)
        if code_of(body) in RETRYABLE:
            raise Transient(f"code {code_of(body)}")  # 服务器错误 / 访问过于频繁: not applied
        return body

    def _call(self, path: str, session: str | None, params: dict[str, str]) -> JsonDict:
        """A signed call; each attempt is signed afresh (new timestamp), params unchanged."""
        return self._retrying(
            lambda: self._post(
                path, signed_params(self.app_key, self.app_secret, session, params, self._now())
            ),
            path,
        )

    def _shop_call(self, credentials: Credentials, path: str, params: dict[str, str]) -> JsonDict:
        shop = {"open_shop_uuid": credentials.platform_store_id}
        session = MeituanSession.of(credentials.secret).session
        return self._call(path, session, {**params, **shop})

    # ---- platform codes ----------------------------------------------------------------------
    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        """输码验券校验: the receipt and how many codes of its purchase are usable."""
        body = self._shop_call(credentials, PREPARE, {"receipt_code": code})
        if code_of(body) != OK:
            raise voucher_error(body, code, at_prepare=True)
        data = body.get("data")
        data = data if isinstance(data, dict) else {}
        # Expiry is Meituan's call on its own clock (410 above); ours may drift from it.
        expires = end_time(data.get("receipt_end_date") or data.get("receiptEndDate"))
        try:
            usable = int(data.get("count", 1))
        except (TypeError, ValueError):
            usable = 1
        receipt = str(data.get("receipt_code") or code)
        price = fen_of(data.get("deal_price"))
        # Only the scanned code is known before consume; the others of its purchase are
        # revealed by consume's answer, so each usable one is described by the scanned code.
        certificate = PlatformCertificate(
            code=receipt,
            handle=receipt,
            title=str(data.get("deal_title") or ""),
            product_id=str(data.get("deal_id") or ""),
            listing_id=None,
            value_fen=fen_of(data.get("deal_marketprice")) or price,
            paid_fen=price,
            expires_at=expires,
        )
        if usable < 1:
            raise DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=code, time="", store="")
        log.info("meituan.prepared", shop=credentials.platform_store_id, usable=usable)
        return PreparedCodes(PLATFORM, "", (certificate,) * usable)

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        """验券 ``count`` codes of the scanned purchase in one consume, ``requestid`` = ours."""
        if not 1 <= count <= len(prepared.certificates):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        receipt = prepared.certificates[0].handle
        body = self._shop_call(
            credentials,
            CONSUME,
            {
                "requestid": request_id,
                "receipt_code": receipt,
                "count": str(count),
                "app_shop_account": OPERATOR[0],
                "app_shop_accountname": OPERATOR[1],
            },
        )
        if code_of(body) != OK:
            raise voucher_error(body, receipt)
        items = [i for i in body.get("data") or [] if isinstance(i, dict)]
        done = [
            VerifiedCode(
                code=str(item.get("receipt_code") or ""),
                certificate_id=str(item.get("receipt_code") or ""),
                verify_id=request_id,
                extra={
                    "deal_id": str(item.get("deal_id") or prepared.certificates[0].product_id),
                    "receipt_code": str(item.get("receipt_code") or ""),
                    "order_id": str(item.get("order_id") or ""),
                },
            )
            for item in items
            if item.get("receipt_code")
        ]
        if len(done) != count:
            log.warning("meituan.consume_short", request_id=request_id, got=len(done), asked=count)
            for verified in done:  # all or none: give back what went through
                try:
                    self.cancel(credentials, verified)
                except DomainError as exc:
                    log.error("meituan.partial_consume_reverse_failed", error=str(exc.code))
            raise unavailable()
        log.info("meituan.consumed", request_id=request_id, count=count)
        return done

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        """撤销验券 of one code; refused by Meituan 10 minutes after the consume."""
        receipt = verified.extra.get("receipt_code") or verified.code
        body = self._shop_call(
            credentials,
            REVERSE,
            {
                "app_deal_id": verified.extra.get("deal_id", ""),
                "receipt_code": receipt,
                "app_shop_account": OPERATOR[0],
                "app_shop_accountname": OPERATOR[1],
            },
        )
        code = code_of(body)
        if code in (OK, NOT_CONSUMED):  # not consumed: an earlier reverse got through
            log.info("meituan.reversed", request_id=verified.verify_id, already=code != OK)
            return
        if code == TOO_LATE:
            raise DomainError(ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=REVERSE_WINDOW_MINUTES)
        if code == NOT_FOUND:
            raise DomainError(ErrorCode.REDEMPTION_NOT_FOUND, redemption_id=verified.verify_id)
        log.warning("meituan.reverse_failed", code=code, msg=body.get("msg"))
        raise unavailable()

    # ---- binding, authorization, settlement ---------------------------------------------------
    def test_binding(self, platform_store_id: str, secret: str) -> str:
        """The session's shops (the scope query, which requires the ``bid``) must include this
        one: returns its name (shop + branch)."""
        kept = MeituanSession.of(secret)
        bid = kept.bid or self._bid_of(kept.session)
        body = self._call(SCOPE, kept.session, {"bid": bid})
        if code_of(body) != OK:
            log.warning("meituan.scope_refused", code=code_of(body), msg=body.get("msg"))
            raise rejected()
        for shop in body.get("data") or []:
            if isinstance(shop, dict) and str(shop.get("open_shop_uuid")) == platform_store_id:
                name, branch = str(shop.get("shopname") or ""), str(shop.get("branchname") or "")
                return f"{name}({branch})" if name and branch else name or platform_store_id
        log.warning("meituan.shop_not_in_scope", shop=platform_store_id)
        raise rejected()

    def _bid_of(self, session: str) -> str:
        """A bare session's customer id (session 范围查询), for a secret kept without it."""
        body = self._call(SESSION_QUERY, session, {})
        raw = body.get("data")
        bid = str((raw if isinstance(raw, dict) else {}).get("bid") or "")
        if code_of(body) != OK or not bid:
            log.warning("meituan.session_query_refused", code=code_of(body), msg=body.get("msg"))
            raise rejected()
        return bid

    def exchange_auth_code(self, auth_code: str, redirect_url: str = "") -> SessionGrant:
        """The merchant authorized us in the browser: turn its ``auth_code`` into a session;
        ``redirect_url`` is the callback address the authorization page was given."""
        params = {"grant_type": "authorization_code", "auth_code": auth_code}
        if redirect_url:
            params["redirect_url"] = redirect_url
        return self._grant(params)

    def refresh_session(self, refresh_token: str) -> SessionGrant:
        return self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _grant(self, params: dict[str, str]) -> SessionGrant:
        form = {"app_key": self.app_key, "app_secret": self.app_secret, **params}
        body = self._retrying(lambda: self._post(TOKEN, form), TOKEN)
        if code_of(body) != OK or not body.get("access_token"):
            log.warning("meituan.token_refused", code=code_of(body), msg=body.get("msg"))
            raise rejected()
        return SessionGrant.of(body, granted_at=self._now())

    def consumed_on(
        self, credentials: Credentials, day: date, *, offset: int = 0, limit: int = 100
    ) -> tuple[int, list[JsonDict]]:
        """The shop's consumes of one Beijing day (the settlement source): total and a page."""
        body = self._shop_call(
            credentials,
            QUERY_BY_DATE,
            {"date": day.isoformat(), "offset": str(offset), "limit": str(limit)},
        )
        if code_of(body) != OK:
            raise voucher_error(body, "")
        raw = body.get("data")
        data: JsonDict = raw if isinstance(raw, dict) else {}
        records = [r for r in data.get("records") or [] if isinstance(r, dict)]
        return int(data.get("total_count") or 0), records
