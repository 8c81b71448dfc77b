"""The ``/_sim/`` hooks every simulator has (no auth, loopback only): reset, recorded calls,
faults, latency and the simulated clock. Platform-specific hooks live beside each simulator."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.middleware import FAULT_KINDS
from voucherbridge_sims.simkit.state import Fault, JsonDict, Latency, SimBase, path_matches


def get_sim(request: Request) -> Any:
    """The simulator state of the app serving this request (``app.state.sim``)."""
    return request.app.state.sim


def bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def int_field(body: JsonDict, key: str, default: int | None) -> int | None:
    """An integer field (bools and floats refused: money is integer fen)."""
    value = body.get(key, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"{key} must be an integer")


async def read_json(request: Request) -> JsonDict | None:
    """The JSON object body, or None when it is missing or not an object."""
    raw = await request.body()
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def fen_deltas(body: JsonDict, ids: str = "ids") -> dict[str, int]:
    """``amount_delta_fen`` of a /_sim/statement body: {id: integer fen} (else ValueError)."""
    deltas = body.get("amount_delta_fen") or {}
    if not isinstance(deltas, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in deltas.values()
    ):
        raise ValueError(f"amount_delta_fen must map {ids} to integer fen")
    return deltas


@dataclass(frozen=True)
class StatementAsk:
    """A /_sim/statement body: the day, and how to alter its statement for reconciliation
    tests (lines to drop, amounts to change by id, lines we never made)."""

    day: date
    drop: set[str]
    deltas: dict[str, int]
    extra: int


def statement_ask(body: JsonDict, ids: str = "ids") -> StatementAsk:
    """``{"date": ISO day, "drop": [id], "amount_delta_fen": {id: fen}, "extra": n}``; a
    ValueError names the first thing wrong (date, then extra, then the deltas)."""
    day = date.fromisoformat(str(body.get("date")))
    extra = int_field(body, "extra", 0) or 0
    drop = {str(i) for i in body.get("drop") or []}
    return StatementAsk(day, drop, fen_deltas(body, ids), extra)


def clock_view(sim: SimBase) -> JsonDict:
    return {"now": sim.clock.now().isoformat(), "now_ms": sim.clock.now_ms()}


def common_router(default_biz_code: int) -> APIRouter:
    """Routes under ``/_sim``; ``default_biz_code`` is a biz_error fault's code when none given."""
    router = APIRouter(prefix="/_sim")

    @router.post("/reset")
    async def reset(request: Request) -> JsonDict:
        """Back to the start: the simulator's entities (see its ``SimState.reset``), recorded
        calls, faults, latencies, the clock offset and the state file; the config stays."""
        sim: SimBase = get_sim(request)
        sim.clear()
        return {"ok": True}

    @router.get("/requests")
    async def requests(request: Request, path: str | None = None) -> list[JsonDict]:
        """Recorded inbound calls (method, path, query, headers, body, response, fault)."""
        sim: SimBase = get_sim(request)
        with sim.lock:
            return [r for r in sim.requests if path is None or path_matches(path, r["path"])]

    @router.post("/faults")
    async def add_fault(request: Request) -> Any:
        """Make the next ``count`` calls to ``path`` fail with ``kind`` (count null = always),
        after letting ``skip`` matching calls through."""
        sim: SimBase = get_sim(request)
        body = await read_json(request) or {}
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            return bad(f"kind must be one of {', '.join(FAULT_KINDS)}")
        try:
            count = int_field(body, "count", 1)
            skip = int_field(body, "skip", 0) or 0
            biz_code = int_field(body, "biz_code", default_biz_code) or default_biz_code
        except ValueError as exc:
            return bad(str(exc))
        timeout_s = float(body.get("timeout_s", sim.fault_timeout_s))
        fault = Fault(str(body.get("path", "*")), kind, count, biz_code, timeout_s, max(0, skip))
        with sim.lock:
            sim.faults.append(fault)
            return {"faults": [asdict(f) for f in sim.faults]}

    @router.delete("/faults")
    async def clear_faults(request: Request) -> JsonDict:
        """Remove every pending fault."""
        sim: SimBase = get_sim(request)
        with sim.lock:
            sim.faults.clear()
        return {"faults": []}

    @router.post("/latency")
    async def add_latency(request: Request) -> Any:
        """Delay matching calls by ``ms`` (``count`` null = always, ``ms`` 0 removes)."""
        sim: SimBase = get_sim(request)
        body = await read_json(request) or {}
        try:
            ms, count = int_field(body, "ms", 0) or 0, int_field(body, "count", None)
        except ValueError as exc:
            return bad(str(exc))
        path = str(body.get("path", "*"))
        with sim.lock:
            sim.latencies = [lat for lat in sim.latencies if lat.path != path]
            if ms > 0:
                sim.latencies.append(Latency(path, ms, count))
            return {"latencies": [asdict(lat) for lat in sim.latencies]}

    @router.delete("/latency")
    async def clear_latency(request: Request) -> JsonDict:
        """Remove every latency rule."""
        sim: SimBase = get_sim(request)
        with sim.lock:
            sim.latencies.clear()
        return {"latencies": []}

    @router.get("/clock")
    async def get_clock(request: Request) -> JsonDict:
        """The simulated now."""
        return clock_view(get_sim(request))

    @router.post("/clock")
    async def set_clock(request: Request) -> Any:
        """Set the simulated clock: ``{"now": ISO}`` (naive = UTC) or ``{"advance_s": n}``."""
        sim: SimBase = get_sim(request)
        body = await read_json(request) or {}
        if "now" in body:
            try:
                when = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
            except ValueError:
                return bad("now must be an ISO 8601 time")
            sim.clock.set(when if when.tzinfo else when.replace(tzinfo=UTC))
        elif isinstance(body.get("advance_s"), int | float) and not isinstance(
            body.get("advance_s"), bool
        ):
            sim.clock.advance(float(body["advance_s"]))
        else:
            return bad('give {"now": ISO} or {"advance_s": seconds}')
        return clock_view(sim)

    return router
