"""How the simulator reads a Dianping open-API call: form params, common params, sign, session.

Calls are ``POST application/x-www-form-urlencoded`` (reads may be GET with a query string);
every answer is HTTP 200 with the ``{"code","msg","data"}`` envelope (PROTOCOLS §0, §2). The
timestamp may be close to either the simulated or the real now: callers cannot see the
simulated clock, and a test that advances it (to close the reversal window) must still get in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import simplejson
from fastapi import Request
from fastapi.responses import JSONResponse

from voucherbridge.platforms.meituan.signing import parse_timestamp, verify
from voucherbridge_sims.meituan.state import (
    BAD_REQUEST,
    UNAUTHORIZED,
    JsonDict,
    Session,
    SimState,
    envelope,
)
from voucherbridge_sims.simkit.hooks import get_sim

Handler = Callable[[SimState, Session | None, dict[str, str]], Any]


class Refused(Exception):
    """A call the platform answers with an error envelope."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


class DecimalJSONResponse(JSONResponse):
    """Yuan amounts are Decimals and go out as exact JSON numbers (39.9), as Dianping's do."""

    def render(self, content: Any) -> bytes:
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False).encode()


def answer(body: JsonDict) -> JSONResponse:
    return DecimalJSONResponse(body)


async def read_params(request: Request) -> dict[str, str]:
    """Query params, then the form body on top (a repeated key keeps its last value)."""
    params = dict(request.query_params)
    raw = await request.body()
    if raw:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _timestamp_ok(sim: SimState, value: str) -> bool:
    try:
        sent = parse_timestamp(value)
    except ValueError:
        return False
    tolerance = sim.config.timestamp_tolerance_s
    return any(
        abs((sent - now).total_seconds()) <= tolerance
        for now in (sim.clock.now(), datetime.now(UTC))
    )


def authenticate(sim: SimState, params: dict[str, str], *, session: bool = True) -> Session | None:
    """Check the common params and the sign, then the merchant's session when one is needed."""
    for name in ("app_key", "timestamp", "sign", "sign_method"):
        if not params.get(name):
            raise Refused(BAD_REQUEST, f"缺少参数 {name}")
    if params["app_key"] != sim.config.app_key:
        raise Refused(UNAUTHORIZED, "app_key无效")
    if params["sign_method"].upper() != "MD5":
        raise Refused(BAD_REQUEST, "不支持的sign_method")
    if not verify(sim.config.app_secret, params):
        raise Refused(UNAUTHORIZED, "签名错误")
    if not _timestamp_ok(sim, params["timestamp"]):
        raise Refused(UNAUTHORIZED, "timestamp无效或已过期")
    if not session:
        return None
    found, problem = sim.session_problem(params.get("session"))
    if problem is not None:
        raise Refused(UNAUTHORIZED, problem)
    return found


def shop_of(session: Session | None, params: dict[str, str]) -> str:
    """The ``open_shop_uuid`` of the call, which the session must cover."""
    shop = params.get("open_shop_uuid") or params.get("app_shop_id") or ""
    if not shop:
        raise Refused(BAD_REQUEST, "缺少参数 open_shop_uuid")
    if session is not None and shop not in session.shop_ids:
        raise Refused(UNAUTHORIZED, "session无权操作该门店")
    return shop


def int_param(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise Refused(BAD_REQUEST, f"{name}必须是整数") from exc


async def serve(request: Request, handler: Handler, *, session: bool = True) -> JSONResponse:
    """Authenticate, then run ``handler(sim, session, params) -> data`` under the lock."""
    sim: SimState = get_sim(request)
    params = await read_params(request)
    try:
        found = authenticate(sim, params, session=session)
        with sim.lock:
            data = handler(sim, found, params)
    except Refused as exc:
        return answer(envelope(exc.code, exc.msg))
    return answer(envelope(data=data))
