"""Douyin Open Platform client (life service, PROTOCOLS.md §1): tokens, certificate
prepare/verify/cancel/get, merchant-code use sync, POI query for the binding test.

Business failures come back as HTTP 200 with an error code in the envelope; only transport
failures, 5xx, 429 and the "busy" code are retried (tenacity, exponential backoff with jitter),
and a retried verify carries the same ``verify_token``, so Douyin applies it once.
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

from voucherbridge.domain.codes import DOUYIN_LINK_RE
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge.platforms.transport import Transient, json_object, sent, with_retries

log = structlog.get_logger("voucherbridge.douyin")
T = TypeVar("T")
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


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # time.monotonic()


@dataclass(frozen=True)
class _Answer:
    body: JsonDict
    # True when an earlier send of this call failed in transit: it may have been applied.
    uncertain: bool


def _dict(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def error_code(body: JsonDict) -> int:
    """Non-zero when either ``extra.error_code`` or ``data.error_code`` is; absent counts as 0."""
    for value in (
        _dict(body.get("extra")).get("error_code"),
        _dict(body.get("data")).get("error_code"),
    ):
        code = _int(value, 0)
        if code != 0:
            return code
    return 0


def _unavailable() -> DomainError:
    return DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=PLATFORM_NOUN)


def _rejected() -> DomainError:
    return DomainError(ErrorCode.BINDING_REJECTED, platform=PLATFORM_NOUN)


def _voucher_error(result: int, code: str, *, at_prepare: bool = False) -> DomainError:
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
    return _unavailable()


def _epoch(value: Any) -> datetime | None:
    seconds = _int(value, 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def _platform_now(body: JsonDict) -> datetime:
    """Douyin's own clock (``extra.now``, ms) decides expiry; ours may drift from it."""
    now_ms = _int(_dict(body.get("extra")).get("now"), 0)
    return datetime.fromtimestamp(now_ms / 1000, UTC) if now_ms > 0 else datetime.now(UTC)


def _short_id(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


class DouyinClient:
    """One per process: keeps the HTTP connection pool and the tokens of every bound store."""

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
        self.short_link_base = (short_link_base or DEFAULT_SHORT_LINK_BASE).rstrip("/")
        self.retry_wait_s = max(0.0, retry_wait_s)
        self.max_attempts = max(1, max_attempts)
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._fetching: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    # ---- transport ---------------------------------------------------------------------------
    def _retrying(self, call: Callable[[], T], what: str) -> T:
        return with_retries(
            call,
            platform="douyin",
            what=what,
            attempts=self.max_attempts,
            wait_s=self.retry_wait_s,
            unavailable=_unavailable,
        )

    def _send(self, method: str, url: str, **kwargs: Any) -> JsonDict:
        response = sent(lambda: self.http.request(method, url, **kwargs))
        return json_object(response, platform="douyin", unavailable=_unavailable)

    # ---- tokens ------------------------------------------------------------------------------
    def _token(self, secret: str) -> str:
        key = (self.client_key, secret)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached.refresh_at:
                return cached.value
            fetching = self._fetching.setdefault(key, threading.Lock())
        # One fetch per credential at a time: the others wait and reuse its token.
        with fetching:
            with self._lock:
                cached = self._tokens.get(key)
                if cached is not None and time.monotonic() < cached.refresh_at:
                    return cached.value
            token = self._fetch_token(secret)
            with self._lock:
                self._tokens[key] = token
            return token.value

    def _fetch_token(self, secret: str) -> _Token:
        payload = {
            "client_key": self.client_key,
            "client_secret": secret,
            "grant_type": "client_credential",
        }
        body = self._retrying(lambda: self._send("POST", TOKEN, json=payload), "token")
        data = _dict(body.get("data"))
        code = _int(data.get("error_code"), 0)
        if code in OAUTH_REJECTED:
            log.warning("douyin.token_rejected", error_code=code)
            raise _rejected()
        if code == OAUTH_RATE_LIMITED:
            log.warning("douyin.token_rate_limited")
            raise _unavailable()
        if code or not data.get("access_token"):
            log.warning("douyin.token_failed", error_code=code)
            raise _unavailable()
        lifetime = max(1.0, float(_int(data.get("expires_in"), 7200)))
        log.info("douyin.token_fetched", expires_in=lifetime)
        return _Token(str(data["access_token"]), time.monotonic() + lifetime * TOKEN_REFRESH_SHARE)

    def _drop_token(self, secret: str, value: str) -> None:
        with self._lock:
            cached = self._tokens.get((self.client_key, secret))
            # Another thread may have refreshed meanwhile: keep its newer token.
            if cached is not None and cached.value == value:
                del self._tokens[(self.client_key, secret)]

    def _call(self, secret: str, method: str, path: str, **kwargs: Any) -> _Answer:
        """An OpenAPI call with the store's token; a refused token is refreshed once."""
        failed_sends = 0
        body: JsonDict = {}
        for round_ in (1, 2):
            token = self._token(secret)
            headers = {"access-token": token, "content-type": "application/json"}

            def once(headers: dict[str, str] = headers) -> JsonDict:
                nonlocal failed_sends
                try:
                    answer = self._send(method, path, headers=headers, **kwargs)
                except Transient:
                    failed_sends += 1
                    raise
                if error_code(answer) == SERVER_BUSY:
                    # "服务器错误,请稍后重试": Douyin says it did not do it; try again.
                    raise Transient("busy")
                return answer

            body = self._retrying(once, path)
            if error_code(body) in TOKEN_PROBLEMS and round_ == 1:
                log.info("douyin.token_refused", call=path, error_code=error_code(body))
                self._drop_token(secret, token)
                continue
            break
        if error_code(body) in TOKEN_PROBLEMS:
            log.warning("douyin.token_refused_twice", call=path)
            raise _unavailable()
        return _Answer(body, failed_sends > 0)

    # ---- platform codes ------------------------------------------------------------------------
    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        """验券准备: the usable codes behind one scan (a plain code or a short link)."""
        poi_id = credentials.platform_store_id
        params: dict[str, str] = {"poi_id": poi_id}
        is_link = bool(DOUYIN_LINK_RE.match(code))
        shown = "" if is_link else code
        if is_link:
            params["encrypted_data"] = self._object_id(code)
        else:
            params["code"] = code
        body = self._call(credentials.secret, "GET", PREPARE, params=params).body
        error = error_code(body)
        if error:
            raise _voucher_error(error, shown, at_prepare=True)
        data = _dict(body.get("data"))
        items = [_dict(i) for i in data.get("certificates") or [] if isinstance(i, dict)]
        now = _platform_now(body)
        usable: list[PlatformCertificate] = []
        problem: DomainError | None = None
        for item in items:
            plain = str(item.get("code") or "")
            if not plain and shown and len(items) == 1:
                plain = shown  # the answer is about exactly the code scanned
            expires, starts = _epoch(item.get("expire_time")), _epoch(item.get("start_time"))
            if expires is not None and expires <= now:
                problem = problem or DomainError(ErrorCode.VOUCHER_EXPIRED, code=plain or shown)
                continue
            if starts is not None and starts > now:
                problem = problem or DomainError(
                    ErrorCode.VOUCHER_NOT_YET_VALID, code=plain or shown, valid_from=""
                )
                continue
            if poi_id in [str(p) for p in item.get("not_available_poi_list") or []]:
                problem = problem or DomainError(
                    ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=plain or shown, store=""
                )
                continue
            if not item.get("encrypted_code"):
                continue
            sku, amount = _dict(item.get("sku")), _dict(item.get("amount"))
            usable.append(
                PlatformCertificate(
                    code=plain,
                    handle=str(item["encrypted_code"]),
                    title=str(sku.get("title") or ""),
                    product_id=str(sku.get("sku_id") or ""),
                    listing_id=str(sku.get("third_sku_id") or "") or None,
                    value_fen=_int(amount.get("original_amount")),
                    paid_fen=_int(amount.get("pay_amount")),
                    expires_at=expires,
                )
            )
        if not usable:
            raise problem or DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=shown)
        log.info("douyin.prepared", poi_id=poi_id, usable=len(usable), listed=len(items))
        return PreparedCodes(
            platform=PLATFORM,
            platform_order_id=str(data.get("order_id") or ""),
            certificates=tuple(usable),
            session=str(data.get("verify_token") or ""),
        )

    def _object_id(self, link: str) -> str:
        """A short link's 302 carries the ``object_id`` that prepare takes as encrypted_data."""
        url = f"{self.short_link_base}/{_short_id(link)}"

        def resolve() -> str:
            response = sent(lambda: self.http.get(url, follow_redirects=False))
            location = str(response.headers.get("location", ""))
            found: str = parse_qs(urlsplit(location).query).get("object_id", [""])[0]
            if not response.is_redirect or not found:
                raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code="")
            return found

        return self._retrying(resolve, "short_link")

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        """验券 ``count`` prepared codes; the prepare's verify_token makes a retry safe."""
        if not 1 <= count <= len(prepared.certificates):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        chosen = prepared.certificates[:count]
        answer = self._call(
            credentials.secret,
            "POST",
            VERIFY,
            json={
                "verify_token": prepared.session,
                "poi_id": credentials.platform_store_id,
                "encrypted_codes": [c.handle for c in chosen],
            },
        )
        error = error_code(answer.body)
        if error:
            raise _voucher_error(error, chosen[0].code)
        items = self._items(answer.body)
        done: list[VerifiedCode] = []
        failure: DomainError | None = None
        for index, item in enumerate(items):
            cert = chosen[index] if index < len(chosen) else None
            result = _int(item.get("result"), -1)
            shown = str(item.get("origin_code") or (cert.code if cert else ""))
            if result == 0:
                done.append(self._verified(item, shown))
                continue
            if result == USED and answer.uncertain and cert is not None:
                mine = self._ours(credentials, cert.handle)
                if mine is not None:
                    log.info("douyin.verify_recovered", request_id=request_id)
                    done.append(mine)
                    continue
            failure = failure or _voucher_error(result, shown)
        if failure is None and len(done) != count:
            log.warning("douyin.verify_short", request_id=request_id, got=len(done), asked=count)
            failure = _unavailable()
        if failure is not None:
            self._undo(credentials, done, request_id)
            raise failure
        log.info("douyin.verified", request_id=request_id, count=len(done))
        return done

    @staticmethod
    def _items(body: JsonDict) -> list[JsonDict]:
        results = _dict(body.get("data")).get("verify_results") or []
        return [_dict(i) for i in results if isinstance(i, dict)]

    @staticmethod
    def _verified(item: JsonDict, shown: str) -> VerifiedCode:
        return VerifiedCode(
            code=str(item.get("origin_code") or shown or item.get("code") or ""),
            certificate_id=str(item.get("certificate_id") or ""),
            verify_id=str(item.get("verify_id") or ""),
        )

    def _ours(self, credentials: Credentials, handle: str) -> VerifiedCode | None:
        """After a lost answer, "used" may be our own first attempt (PROTOCOLS §1.1): ask."""
        try:
            answer = self._call(credentials.secret, "GET", GET, params={"encrypted_code": handle})
        except DomainError:
            return None
        if error_code(answer.body):
            return None
        cert = _dict(_dict(answer.body.get("data")).get("certificate"))
        verify = _dict(cert.get("verify"))
        if str(verify.get("poi_id") or "") != credentials.platform_store_id:
            return None
        if not verify.get("verify_id"):
            return None
        return VerifiedCode(
            code=str(cert.get("code") or ""),
            certificate_id=str(verify.get("certificate_id") or cert.get("certificate_id") or ""),
            verify_id=str(verify["verify_id"]),
        )

    def _undo(self, credentials: Credentials, done: list[VerifiedCode], request_id: str) -> None:
        """Part of a multi-code verify went through: give those back so the scan is all or none."""
        for verified in done:
            try:
                self.cancel(credentials, verified)
                log.warning("douyin.partial_verify_cancelled", request_id=request_id)
            except DomainError as exc:
                log.error(
                    "douyin.partial_verify_cancel_failed",
                    request_id=request_id,
                    verify_id=verified.verify_id,
                    error=str(exc.code),
                )

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        """撤销核销; refused by Douyin one hour after the verify."""
        body = self._call(
            credentials.secret,
            "POST",
            CANCEL,
            json={"certificate_id": verified.certificate_id, "verify_id": verified.verify_id},
        ).body
        error = error_code(body)
        sub = _int(_dict(body.get("extra")).get("sub_error_code"), 0)
        if error == 0 or error == ALREADY_CANCELLED:
            log.info("douyin.cancelled", verify_id=verified.verify_id)
            return
        if error in CANCEL_TOO_LATE or sub in CANCEL_TOO_LATE:
            raise DomainError(ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=CANCEL_WINDOW_MINUTES)
        if error == VERIFY_NOT_FOUND:
            raise DomainError(ErrorCode.REDEMPTION_NOT_FOUND, redemption_id=verified.verify_id)
        log.warning("douyin.cancel_failed", error_code=error, verify_id=verified.verify_id)
        raise _unavailable()

    # ---- merchant codes (三方码) use sync --------------------------------------------------------
    def sync_use(
        self, credentials: Credentials, *, douyin_order_id: str, codes: list[str], verify_token: str
    ) -> list[VerifiedCode]:
        """核销同步: tell Douyin our codes were used; ``verify_token`` (our redemption id) makes
        a replay return the first answer instead of a second use."""
        shown = codes[0] if codes else ""
        body = self._call(
            credentials.secret,
            "POST",
            VERIFY,
            json={
                "verify_token": verify_token,
                "poi_id": credentials.platform_store_id,
                "order_id": douyin_order_id,
                "codes": codes,
            },
        ).body
        error = error_code(body)
        if error:
            raise _voucher_error(error, shown)
        done: list[VerifiedCode] = []
        for item in self._items(body):
            result = _int(item.get("result"), -1)
            if result != 0:
                raise _voucher_error(
                    result, str(item.get("origin_code") or item.get("code") or shown)
                )
            done.append(self._verified(item, ""))
        if len(done) != len(codes):
            raise _unavailable()
        return done

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
        """A token for this secret, then the POI itself: returns the POI's name."""
        body = self._call(
            secret,
            "GET",
            POI_QUERY,
            params={"account_id": "", "poi_id": platform_store_id},
        ).body
        if error_code(body):
            log.warning("douyin.poi_query_failed", error_code=error_code(body))
            raise _rejected()
        for entry in _dict(body.get("data")).get("pois") or []:
            poi = _dict(_dict(entry).get("poi"))
            if str(poi.get("poi_id") or "") == platform_store_id:
                return str(poi.get("poi_name") or platform_store_id)
        raise _rejected()
