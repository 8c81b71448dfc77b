"""Douyin Open Platform client (life service, PROTOCOLS.md §1): tokens, certificate
prepare/verify/cancel/get, merchant-code use sync, POI query for the binding test.

Business failures come back as HTTP 200 with an error code in the envelope; only transport
failures, 5xx and "busy" codes are retried (tenacity, exponential backoff with jitter), and a
retried verify carries the same ``verify_token``, so Douyin applies it once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import structlog
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from voucherbridge.domain.codes import DOUYIN_LINK_RE
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.services.platform_ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)

log = structlog.get_logger("voucherbridge.douyin")
PLATFORM = "douyin"
T = TypeVar("T")

# Douyin answers (PROTOCOLS §1, simulator sim_wire): what each means for a cashier.
BUSY = {2100005, 10020}
TOKEN_PROBLEMS = {2190002, 2190008}
OAUTH_REJECTED = {10003, 10013}
CODE_NOT_FOUND = {2119001, 1212}
USED, EXPIRED, REFUNDED, WRONG_POI, NOT_YET = 1208, 1209, 1210, 1211, 1213
ALREADY_CANCELLED = 2119006
CANCEL_TOO_LATE = {3000001, 2034000910}
VERIFY_NOT_FOUND = 2119005
CANCEL_WINDOW_MINUTES = 60


class _Transient(Exception):
    """Worth another try: the platform did not get or did not finish the call."""


@dataclass
class _Token:
    value: str
    refresh_at: float


def _catalogue(result: int, code: str) -> DomainError:
    if result == USED:
        return DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=code, time="", store="")
    if result == EXPIRED:
        return DomainError(ErrorCode.VOUCHER_EXPIRED, code=code)
    if result == REFUNDED:
        return DomainError(ErrorCode.VOUCHER_VOIDED, code=code)
    if result == WRONG_POI:
        return DomainError(ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=code, store="")
    if result == NOT_YET:
        return DomainError(ErrorCode.VOUCHER_NOT_YET_VALID, code=code, valid_from="")
    return DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)


class DouyinClient:
    def __init__(
        self,
        base_url: str,
        client_key: str,
        *,
        timeout_s: float = 5.0,
        short_link_base: str | None = None,
        retry_wait_s: float = 0.5,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_key = client_key
        self.short_link_base = (short_link_base or "https://v.douyin.com").rstrip("/")
        self.retry_wait_s = retry_wait_s
        self.max_attempts = max(1, max_attempts)
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    # ---- transport ---------------------------------------------------------------------------
    def _retrying(self, call: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.retry_wait_s, max=self.retry_wait_s * 8, jitter=self.retry_wait_s
            ),
            reraise=False,
        )
        try:
            return retrying(call)
        except RetryError as exc:
            log.warning("douyin.unavailable", attempts=self.max_attempts, error=str(exc))
            raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM) from exc

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise _Transient("not JSON") from exc
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _error_code(body: dict[str, Any]) -> int:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
        for value in (extra.get("error_code"), data.get("error_code")):
            if isinstance(value, int) and value != 0:
                return value
        return 0

    def _token(self, secret: str) -> str:
        with self._lock:
            cached = self._tokens.get(secret)
            if cached is not None and time.monotonic() < cached.refresh_at:
                return cached.value

        def fetch() -> dict[str, Any]:
            return self._send(
                "POST",
                "/oauth/stable_client_token/",
                json={
                    "client_key": self.client_key,
                    "client_secret": secret,
                    "grant_type": "client_credential",
                },
            )

        body = self._retrying(fetch)
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        code = data.get("error_code", 0)
        if code in OAUTH_REJECTED:
            raise DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM)
        if code or not data.get("access_token"):
            raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM)
        lifetime = float(data.get("expires_in") or 7200)
        token = _Token(str(data["access_token"]), time.monotonic() + lifetime * 0.8)
        with self._lock:
            self._tokens[secret] = token
        return token.value

    def _call(
        self, credentials: Credentials, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        """An OpenAPI call with the store's token; a stale token is refreshed once."""
        for attempt in (1, 2):
            token = self._token(credentials.secret)
            headers = {"access-token": token, "content-type": "application/json"}

            def once(headers: dict[str, str] = headers) -> dict[str, Any]:
                body = self._send(method, path, headers=headers, **kwargs)
                if self._error_code(body) in BUSY:
                    raise _Transient("busy")
                return body

            body = self._retrying(once)
            if self._error_code(body) in TOKEN_PROBLEMS and attempt == 1:
                with self._lock:
                    self._tokens.pop(credentials.secret, None)
                continue
            return body
        return body

    # ---- platform codes ------------------------------------------------------------------------
    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        params: dict[str, str] = {"poi_id": credentials.platform_store_id}
        if DOUYIN_LINK_RE.match(code):
            params["encrypted_data"] = self._object_id(code)
        else:
            params["code"] = code
        body = self._call(
            credentials, "GET", "/goodlife/v1/fulfilment/certificate/prepare/", params=params
        )
        error = self._error_code(body)
        if error:
            raise _catalogue(error, code)
        data = body["data"]
        now = datetime.now(UTC)
        usable: list[PlatformCertificate] = []
        problem: DomainError | None = None
        for item in data.get("certificates") or []:
            expires = datetime.fromtimestamp(int(item.get("expire_time") or 0), UTC)
            if item.get("expire_time") and expires <= now:
                problem = problem or DomainError(ErrorCode.VOUCHER_EXPIRED, code=code)
                continue
            if credentials.platform_store_id in (item.get("not_available_poi_list") or []):
                problem = problem or DomainError(
                    ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=code, store=""
                )
                continue
            sku, amount = item.get("sku") or {}, item.get("amount") or {}
            plain = str(item.get("code") or "")
            usable.append(
                PlatformCertificate(
                    code=plain or (code if not usable and "code" in params else ""),
                    handle=str(item["encrypted_code"]),
                    title=str(sku.get("title") or ""),
                    product_id=str(sku.get("sku_id") or ""),
                    listing_id=str(sku.get("third_sku_id") or "") or None,
                    value_fen=int(amount.get("original_amount") or 0),
                    paid_fen=int(amount.get("pay_amount") or 0),
                    expires_at=expires if item.get("expire_time") else None,
                )
            )
        if not usable:
            raise problem or DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
        return PreparedCodes(
            platform=PLATFORM,
            platform_order_id=str(data.get("order_id") or ""),
            certificates=tuple(usable),
            session=str(data.get("verify_token") or ""),
        )

    def _object_id(self, link: str) -> str:
        short_id = link.rstrip("/").rsplit("/", 1)[-1]

        def resolve() -> str:
            try:
                response = self.http.get(
                    f"{self.short_link_base}/{short_id}", follow_redirects=False
                )
            except httpx.TransportError as exc:
                raise _Transient(type(exc).__name__) from exc
            if response.status_code >= 500:
                raise _Transient(f"HTTP {response.status_code}")
            location = response.headers.get("location", "")
            found = parse_qs(urlsplit(location).query).get("object_id", [""])[0]
            if not found:
                raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=link[:32])
            return found

        return self._retrying(resolve)

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        if not 1 <= count <= len(prepared.certificates):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        chosen = prepared.certificates[:count]
        body = self._call(
            credentials,
            "POST",
            "/goodlife/v1/fulfilment/certificate/verify/",
            json={
                "verify_token": prepared.session,
                "poi_id": credentials.platform_store_id,
                "encrypted_codes": [c.handle for c in chosen],
            },
        )
        shown = chosen[0].code or "抖音券"
        error = self._error_code(body)
        if error:
            raise _catalogue(error, shown)
        return self._results(body, shown)

    def _results(self, body: dict[str, Any], shown: str) -> list[VerifiedCode]:
        verified: list[VerifiedCode] = []
        for item in body["data"].get("verify_results") or []:
            result = int(item.get("result", -1))
            if result != 0:
                raise _catalogue(result, str(item.get("origin_code") or shown))
            verified.append(
                VerifiedCode(
                    code=str(item.get("origin_code") or item.get("code") or ""),
                    certificate_id=str(item.get("certificate_id") or ""),
                    verify_id=str(item.get("verify_id") or ""),
                )
            )
        if not verified:
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=shown)
        return verified

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        body = self._call(
            credentials,
            "POST",
            "/goodlife/v1/fulfilment/certificate/cancel/",
            json={"certificate_id": verified.certificate_id, "verify_id": verified.verify_id},
        )
        error = self._error_code(body)
        extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
        if error == 0 or error == ALREADY_CANCELLED:
            return
        if error in CANCEL_TOO_LATE or extra.get("sub_error_code") in CANCEL_TOO_LATE:
            raise DomainError(ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=CANCEL_WINDOW_MINUTES)
        if error == VERIFY_NOT_FOUND:
            raise DomainError(ErrorCode.REDEMPTION_NOT_FOUND, redemption_id=verified.verify_id)
        raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM)

    # ---- merchant codes (三方码) use sync --------------------------------------------------------
    def sync_use(
        self, credentials: Credentials, *, douyin_order_id: str, codes: list[str], verify_token: str
    ) -> list[VerifiedCode]:
        body = self._call(
            credentials,
            "POST",
            "/goodlife/v1/fulfilment/certificate/verify/",
            json={
                "verify_token": verify_token,
                "poi_id": credentials.platform_store_id,
                "order_id": douyin_order_id,
                "codes": codes,
            },
        )
        error = self._error_code(body)
        if error:
            raise _catalogue(error, codes[0] if codes else "")
        return self._results(body, codes[0] if codes else "")

    def sync_cancel(
        self, credentials: Credentials, *, douyin_order_id: str, codes: list[str], verify_token: str
    ) -> None:
        """Replays the use (same token: Douyin answers the first result) to learn its ids."""
        for verified in self.sync_use(
            credentials, douyin_order_id=douyin_order_id, codes=codes, verify_token=verify_token
        ):
            self.cancel(credentials, verified)

    # ---- binding ------------------------------------------------------------------------------
    def test_binding(self, platform_store_id: str, secret: str) -> str:
        credentials = Credentials(PLATFORM, platform_store_id, secret)
        body = self._call(
            credentials,
            "GET",
            "/goodlife/v1/shop/poi/query/",
            params={"account_id": "", "poi_id": platform_store_id},
        )
        if self._error_code(body):
            raise DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM)
        for entry in body["data"].get("pois") or []:
            poi = entry.get("poi") or {}
            if str(poi.get("poi_id")) == platform_store_id:
                return str(poi.get("poi_name") or platform_store_id)
        raise DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM)
