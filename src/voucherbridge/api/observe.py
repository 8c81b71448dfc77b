"""Pure ASGI middleware: the request id, one access-log line and the HTTP metrics per request.

Cheap on purpose (it wraps the redeem path): no body is read, no header is parsed beyond the
one it looks for, and the route label is the matched route's template (`/api/v1/orders/{id}`),
so a path full of ids never becomes a label of its own.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucherbridge.core import metrics
from voucherbridge.core.logs import enabled
from voucherbridge.core.request_id import accepted, current, new_request_id

log = structlog.get_logger("voucherbridge.access")
_HEADER = b"x-request-id"
UNMATCHED = "unmatched"
# Probes and the scrape itself are not worth a log line each (their metrics still count).
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The counter and histogram children of one (method, route, status): looked up once."""
    key = (method, route, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
            metrics.HTTP_LATENCY.labels(method=method, route=route),
        )
    return found


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestObserver:
    """Sets the request id (from `X-Request-ID` if valid, else new) for the request's code and
    its answer, then logs and counts the request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers") or ():
            if name == _HEADER:
                given = accepted(value)
                break
        rid = given or new_request_id()
        encoded = rid.encode("ascii")
        status = 500
        started = time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), (_HEADER, encoded)]
            await send(message)

        token = current.set(rid)  # log lines (core/logs.py) and platform calls read it
        try:
            await self.app(scope, receive, tagged)
        finally:
            current.reset(token)
            elapsed = time.perf_counter() - started
            method, route = scope.get("method", ""), route_of(scope)
            counted, timed = _series(method, route, status)
            counted.inc()
            timed.observe(elapsed)
            path = scope.get("path", "")
            if path not in QUIET and enabled(logging.INFO):
                log.info(
                    "http.request",
                    request_id=rid,
                    method=method,
                    path=path,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
