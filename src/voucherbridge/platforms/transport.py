"""What the platform clients share on the wire: which failures are worth another try, the retry
policy (tenacity: exponential backoff with jitter) and reading a JSON object answer."""

from __future__ import annotations

from collections.abc import Callable
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
        body = response.json()
    except ValueError as exc:
        if response.is_success:
            raise Transient("answer is not JSON") from exc
        log.warning(f"{platform}.http_error", url=str(response.url), status=response.status_code)
        raise unavailable() from exc
    if not isinstance(body, dict):
        raise Transient("answer is not a JSON object")
    return body
