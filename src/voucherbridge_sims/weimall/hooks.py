"""Test hooks of the micro-mall simulator (``/_sim/...``, no auth, loopback only)."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from voucherbridge_sims.simkit.hooks import bad, get_sim, int_field, read_json, statement_ask
from voucherbridge_sims.weimall import flows as sim_flows
from voucherbridge_sims.weimall import rules as sim_rules
from voucherbridge_sims.weimall.push import PushJob, send
from voucherbridge_sims.weimall.state import Code, JsonDict, SimState, Store

router = APIRouter(prefix="/_sim")


def _text(body: JsonDict, key: str) -> str | None:
    value = body.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


@router.get("/state")
async def state(request: Request) -> JsonDict:
    sim: SimState = get_sim(request)
    with sim.lock:
        view = sim.state_view()
        view["faults"] = [asdict(f) for f in sim.faults]
        view["latencies"] = [asdict(lat) for lat in sim.latencies]
        return view


@router.post("/weimall/stores")
async def add_store(request: Request) -> Any:
    """Add or change a store: ``{"store_id", "secret", "name"}``."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    store_id, secret = _text(body, "store_id"), _text(body, "secret")
    if store_id is None or secret is None:
        return bad("store_id and secret are required")
    name = _text(body, "name") or f"微商城门店{store_id}"
    with sim.lock:
        sim.stores[store_id] = Store(store_id, secret, name)
    return {"store_id": store_id, "name": name}


@router.post("/weimall/codes")
async def add_codes(request: Request) -> Any:
    """Register codes directly (no push): ``{"store_id"?, "order_no"?, "codes": [...]}``."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    codes = body.get("codes")
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        return bad("codes must be a list of strings")
    store_id = _text(body, "store_id") or sim.config.store_id
    order_no = _text(body, "order_no") or "WM-SEED-" + secrets.token_hex(4).upper()
    with sim.lock:
        if store_id not in sim.stores:
            return bad(f"unknown store {store_id}", 404)
        for code in codes:
            sim.codes.setdefault(code, Code(code, order_no, store_id))
    return {"order_no": order_no, "codes": codes}


@router.get("/weimall/codes")
async def list_codes(request: Request) -> list[JsonDict]:
    """Every code with its status and use count."""
    sim: SimState = get_sim(request)
    return sim.codes_view()


@router.get("/weimall/pushes")
async def pushes(request: Request, type: str | None = None) -> list[JsonDict]:
    """Every push attempt (first sends and resends), oldest first."""
    sim: SimState = get_sim(request)
    with sim.lock:
        return [p for p in sim.pushes if type is None or p["type"] == type]


@router.post("/weimall/purchases")
async def purchase(request: Request) -> Any:
    """A buyer pays: push VOUCHER_PURCHASED; ``{"replay": true, "order_no"}`` re-sends one."""
    return await purchase_flow(get_sim(request), await read_json(request) or {})


async def purchase_flow(sim: SimState, body: JsonDict) -> Any:
    """``{"store_id"?, "coupon_id", "quantity"?, "openid"?, "title"?, "unit_price_fen"?}``:
    the order, pushed to our service (also what buying a product runs)."""
    if body.get("replay"):
        with sim.lock:
            order = sim.orders.get(str(body.get("order_no")))
        if order is None:
            return bad("unknown order_no", 404)
        return await run_in_threadpool(sim_flows.push_purchase, sim, order)
    store_id = _text(body, "store_id") or sim.config.store_id
    coupon_id, openid = _text(body, "coupon_id"), _text(body, "openid") or "o-sim-buyer"
    try:
        quantity = int_field(body, "quantity", 1)
        price = int_field(body, "unit_price_fen", None)
    except ValueError as exc:
        return bad(str(exc))
    if coupon_id is None:
        return bad("coupon_id is required")
    if quantity is None or not 1 <= quantity <= 100:
        return bad("quantity must be 1..100")
    if price is not None and price < 0:
        return bad("unit_price_fen must not be negative")
    if sim.secret_for(store_id) is None:
        return bad(f"unknown store {store_id}", 404)
    order = sim_flows.new_order(
        sim,
        store_id=store_id,
        coupon_id=coupon_id,
        quantity=quantity,
        openid=openid,
        title=_text(body, "title"),
        unit_price_fen=price,
    )
    return await run_in_threadpool(sim_flows.push_purchase, sim, order)


@router.post("/weimall/refunds")
async def refund(request: Request) -> Any:
    """A buyer is refunded: push VOUCHER_REFUNDED ``{"order_no", "codes"?}``."""
    return await refund_flow(get_sim(request), await read_json(request) or {})


async def refund_flow(sim: SimState, body: JsonDict) -> Any:
    with sim.lock:
        order = sim.orders.get(str(body.get("order_no")))
    if order is None:
        return bad("unknown order_no", 404)
    codes = body.get("codes")
    if codes is not None and not (
        isinstance(codes, list) and all(isinstance(c, str) for c in codes)
    ):
        return bad("codes must be a list of strings")
    return await run_in_threadpool(sim_flows.push_refund, sim, order, codes)


@router.post("/weimall/ping")
async def ping(request: Request) -> Any:
    """The mall's test probe: a PING push with ``test: true`` (sent once)."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    job = PushJob(_text(body, "store_id") or sim.config.store_id, "PING", {}, test=True)
    return await run_in_threadpool(send, sim, job, 1)


@router.post("/weimall/push")
async def push(request: Request) -> Any:
    """Any signed push, sent once: ``{"type", "payload", "tamper", "timestamp_offset_s",
    "store_id"?, "msg_id"?}`` — to try our hook with a bad signature or a stale timestamp."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    type_, payload = _text(body, "type"), body.get("payload", {})
    if type_ is None or not isinstance(payload, dict):
        return bad("type (string) and payload (object) are required")
    try:
        offset = int_field(body, "timestamp_offset_s", 0) or 0
    except ValueError as exc:
        return bad(str(exc))
    job = PushJob(_text(body, "store_id") or sim.config.store_id, type_, payload)
    if _text(body, "msg_id"):
        job.msg_id = str(_text(body, "msg_id"))
    return await run_in_threadpool(
        lambda: send(sim, job, 1, tamper=bool(body.get("tamper")), timestamp_offset_s=offset)
    )


@router.post("/statement")
async def statement(request: Request) -> Any:
    """Build the statement of one China day from the live rows, altered for reconciliation
    tests: ``{"date", "drop": [redemption ids], "amount_delta_fen": {id: delta}, "extra": n}``."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    try:
        ask = statement_ask(body, "redemption ids")
    except ValueError as exc:
        return bad(str(exc))
    day, drop, deltas = ask.day, ask.drop, ask.deltas
    rows = [r for r in sim_rules.live_rows(sim, None, day) if r["redemption_id"] not in drop]
    for row in rows:
        row["amount_fen"] += deltas.get(row["redemption_id"], 0)
    store_id = _text(body, "store_id") or sim.config.store_id
    for n in range(ask.extra):
        rows.append(
            {
                "code": f"JX{secrets.token_hex(4).upper()}",
                "redemption_id": f"sim-extra-{n + 1}-{secrets.token_hex(3)}",
                "store_id": store_id,
                "amount_fen": 1000,
                "redeemed_at": f"{day.isoformat()}T12:00:00+08:00",
                "status": "redeemed",
            }
        )
    with sim.lock:
        sim.statements[day.isoformat()] = rows
    return {"date": day.isoformat(), "rows": rows}
