"""What the platform clients share on the wire: which failures are worth another try, the retry
policy (tenacity: exponential backoff with jitter) and reading a JSON object answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import structlog
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from voucherbridge.core import metrics
from voucherbridge.core.request_id import HEADER as REQUEST_ID_HEADER
from voucherbridge.core.request_id import request_id
from voucherbridge.domain.backoff import WAIT_CAP
from voucherbridge.domain.errors import DomainError

log = structlog.get_logger("voucherbridge.platforms")
T = TypeVar("T")
JsonDict = dict[str, Any]


class Transient(Exception):
    """Worth another try: the platform did not get, or did not finish answering, the call."""


def with_retries(
    call: Callable[[], T],
    *,
    platform: str,
    what: str,
    attempts: int,
    wait_s: float,
    unavailable: Callable[[], DomainError],
) -> T:
    """Run `call`, again on `Transient` with backoff and jitter (so stores retrying after the
    same outage do not stampede); after `attempts`, the platform is unavailable."""

    def note(state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        log.info(f"{platform}.retry", call=what, attempt=state.attempt_number, error=str(error))

    retrying = Retrying(
        retry=retry_if_exception_type(Transient),
        stop=stop_after_attempt(max(1, attempts)),
        # Composed from long-standing waits (wait_exponential_jitter's args moved in 9.x).
        wait=wait_exponential(multiplier=wait_s, max=wait_s * WAIT_CAP) + wait_random(0, wait_s),
        before_sleep=note,
        reraise=False,
    )
    try:
        return retrying(call)
    except RetryError as exc:
        last = exc.last_attempt
        log.warning(
            f"{platform}.unavailable",
            call=what,
            attempts=last.attempt_number,
            error=str(last.exception()),
        )
        raise unavailable() from exc


class ObservedTransport(httpx.BaseTransport):
    """Every HTTP call to a platform: our request id goes with it (`X-Request-ID`), and its
    latency and failures are counted (core/metrics.py) by platform."""

    def __init__(self, platform: str, inner: httpx.BaseTransport | None = None) -> None:
        self.platform = platform
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        rid = request_id()
        if rid is not None and REQUEST_ID_HEADER not in request.headers:
            request.headers[REQUEST_ID_HEADER] = rid
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            error = type(exc).__name__
            metrics.PLATFORM_ERRORS.labels(platform=self.platform, error=error).inc()
            metrics.PLATFORM_LATENCY.labels(platform=self.platform, outcome="error").observe(
                time.perf_counter() - started
            )
            raise
        status = response.status_code
        outcome = f"{status // 100}xx"
        if status >= 500 or status == 429:
            metrics.PLATFORM_ERRORS.labels(platform=self.platform, error=f"http_{status}").inc()
        metrics.PLATFORM_LATENCY.labels(platform=self.platform, outcome=outcome).observe(
            time.perf_counter() - started
        )
        return response

    def close(self) -> None:
        self.inner.close()


def platform_http(base_url: str, *, timeout_s: float, platform: str) -> httpx.Client:
    """The HTTP client of one platform's API (connection pool, timeout, observed calls)."""
    return httpx.Client(base_url=base_url, timeout=timeout_s, transport=ObservedTransport(platform))


def sent(request: Callable[[], httpx.Response]) -> httpx.Response:
    """The platform's answer, or `Transient` when it never came or says to come back later."""
    try:
        response = request()
    except httpx.TransportError as exc:
        raise Transient(type(exc).__name__) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise Transient(f"HTTP {response.status_code}")
    return response


def json_object(
    response: httpx.Response, *, platform: str, unavailable: Callable[[], DomainError]
) -> JsonDict:
    """The answer's JSON object. A success cut off on the way is worth another try; an error
    page that is not JSON will not get better, so the platform is unavailable."""
    try:
        # Yuan amounts (Dianping's 39.9) are read as Decimal, never through a float.
        body = response.json(parse_float=Decimal)
    except ValueError as exc:
        if response.is_success:
            raise Transient("answer is not JSON") from exc
        log.warning(f"{platform}.http_error", url=str(response.url), status=response.status_code)
        raise unavailable() from exc
    if not isinstance(body, dict):
        raise Transient("answer is not a JSON object")
    return body
