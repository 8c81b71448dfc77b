"""The cashier page's live alert: online payments of its store as server-sent events.

``GET /cashier/live`` (the cashier page's cookie, like the page itself) streams ``event:
payment`` with each online payment whose bill is still open (once per stream; on connect the
ones already waiting), ``event: cleared`` when such a bill is closed, and a comment line as
heartbeat (``?once=1``: only what waits now). It reads the payments table when woken by
`PaymentSignals` (PostgreSQL NOTIFY from whichever API process took the notify) and at least
every poll interval (SQLite: the only way).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core.csrf import CASHIER_COOKIE
from voucherbridge.domain.errors import DomainError
from voucherbridge.domain.records import Terminal
from voucherbridge.selfpay.live import PaymentAlert, pending_payments

router = APIRouter(include_in_schema=False)


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _event(kind: str, alert: PaymentAlert) -> str:
    data = json.dumps(dataclasses.asdict(alert), ensure_ascii=False)
    return f"event: {kind}\nid: {alert.id}\ndata: {data}\n\n"


async def _still_signed_in(c: Container, key: str) -> bool:
    try:
        await run_in_threadpool(auth.resolve_terminal, c.uow(), key)
    except DomainError:
        return False
    return True


async def _stream(
    request: Request, c: Container, key: str, terminal: Terminal, once: bool
) -> AsyncIterator[str]:
    s = c.settings
    poll = s.live_poll_s if s.is_sqlite else s.live_fallback_poll_s
    shown: dict[int, PaymentAlert] = {}
    started = beat = time.monotonic()
    yield "retry: 3000\n: connected\n\n"
    while time.monotonic() - started < s.live_stream_max_s:
        alerts = {a.id: a for a in await run_in_threadpool(pending_payments, c.uow, terminal)}
        for alert in alerts.values():
            if alert.id not in shown:
                yield _event("payment", alert)
        for gone in [shown[i] for i in shown if i not in alerts]:
            yield _event("cleared", gone)
        shown = alerts
        if once:
            return
        if time.monotonic() - beat >= s.live_heartbeat_s:
            if not await _still_signed_in(c, key):  # signed out or revoked: the stream ends
                return
            yield ": heartbeat\n\n"
            beat = time.monotonic()
        if await request.is_disconnected():
            return
        await c.payment_signals.wait(terminal.store_id, min(poll, s.live_heartbeat_s))


@router.get("/cashier/live")
async def live(request: Request, once: bool = False) -> StreamingResponse:
    """Online payments of the cashier's store, as they come (text/event-stream); ``?once=1``:
    the ones waiting now, then the stream ends (a client that polls)."""
    c = _container(request)
    key = request.cookies.get(CASHIER_COOKIE)
    terminal = await run_in_threadpool(auth.resolve_terminal, c.uow(), key)
    assert key is not None  # resolve_terminal refuses a missing key
    return StreamingResponse(
        _stream(request, c, key, terminal, once),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
