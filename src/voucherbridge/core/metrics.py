"""The process's Prometheus metrics, defined once (prometheus-client).

With `PROMETHEUS_MULTIPROC_DIR` set (`voucherbridge serve --workers N` sets it) every process
writes its samples to files there and `/metrics` adds them up (multiprocess mode); without it
they live in this process's default registry. Label values are bounded: a route template, not
a path; a platform name; an error code.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

from voucherbridge.domain.codes import classify_code
from voucherbridge.domain.errors import DomainError

if _shared := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_shared, exist_ok=True)  # each metric below opens its file there at once

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "voucherbridge_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "voucherbridge_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
REDEMPTIONS = Counter(
    "voucherbridge_redemptions",
    "Redemption requests by platform and result (redeemed, replayed or an error code)",
    ["platform", "result"],
)
REVERSALS = Counter(
    "voucherbridge_reversals",
    "Reversal requests by platform and result (reversed or an error code)",
    ["platform", "result"],
)
PLATFORM_LATENCY = Histogram(
    "voucherbridge_platform_call_duration_seconds",
    "Time of one HTTP call to a platform, by platform and outcome",
    ["platform", "outcome"],
    buckets=LATENCY_BUCKETS,
)
PLATFORM_ERRORS = Counter(
    "voucherbridge_platform_call_errors",
    "Platform calls that failed on the wire or with HTTP 5xx/429, by platform and error",
    ["platform", "error"],
)
SIGN_IN_LOCKOUTS = Counter(
    "voucherbridge_sign_in_lockouts",
    "Sign-ins refused because the account is locked after too many failures",
)


def count_redemption(platform: str, result: str) -> None:
    REDEMPTIONS.labels(platform=platform or "unknown", result=result).inc()


def count_reversal(platform: str, result: str) -> None:
    REVERSALS.labels(platform=platform or "unknown", result=result).inc()


def platform_of(raw_code: str) -> str:
    """The platform a scanned code's shape points to, for counting a refused redemption."""
    try:
        return classify_code(raw_code).platform.value
    except DomainError:
        return "unknown"
