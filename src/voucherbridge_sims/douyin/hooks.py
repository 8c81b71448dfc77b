"""Test hooks of the Douyin simulator (``/_sim/...``, no auth, loopback only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from voucherbridge_sims.douyin import flows as sim_flows
from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.douyin.push import flush_webhooks, post_spi
from voucherbridge_sims.douyin.state import JsonDict, SimState
from voucherbridge_sims.douyin.statements import build_statement, parse_day
from voucherbridge_sims.simkit.hooks import bad, fen_deltas, int_field

router = APIRouter(prefix="/_sim")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/state")
async def state(request: Request) -> JsonDict:
    """A readable dump of the simulator's state."""
    sim = w.get_sim(request)
    with sim.lock:
        config = {k: v for k, v in asdict(sim.config).items() if k != "client_secret"}
        return {
            "now": sim.clock.now().isoformat(),
            "config": config,
            "tokens": [
                {
                    "access_token": t.value,
                    "expires_at": t.expires_at.isoformat(),
                    "valid": sim.token_valid(t.value) is None,
                }
                for t in sim.tokens
            ],
            "pois": [asdict(p) for p in sim.pois.values()],
            "orders": [sim_flows.order_view(sim, o, _base(request)) for o in sim.orders.values()],
            "verifications": [
                {
                    "verify_id": v.verify_id,
                    "certificate_id": v.certificate_id,
                    "code": v.code,
                    "order_id": v.order_id,
                    "poi_id": v.poi_id,
                    "verify_token": v.verify_token,
                    "verify_time": v.verify_time.isoformat(),
                    "cancelled_at": v.cancelled_at.isoformat() if v.cancelled_at else None,
                }
                for v in sorted(sim.verifications.values(), key=lambda v: v.seq)
            ],
            "prepares": len(sim.prepares),
            "merchant_verify_tokens": sorted(sim.merchant_verifies),
            "webhooks_queued": list(sim.webhooks),
            "statements": {day: len(lines) for day, lines in sim.statements.items()},
            "callbacks": list(sim.callbacks),
            "refunds": list(sim.refunds.values()),
            "faults": [asdict(f) for f in sim.faults],
            "latencies": [asdict(lat) for lat in sim.latencies],
        }


@router.get("/pushes")
async def pushes(request: Request, name: str | None = None) -> list[JsonDict]:
    """Recorded outbound calls: SPI attempts (``name`` issue, refund_apply, ...) and webhooks."""
    sim = w.get_sim(request)
    with sim.lock:
        return [p for p in sim.pushes if name is None or p["name"] == name]


@router.post("/statement")
async def statement(request: Request) -> Any:
    """Build the statement of a China day that ``settle/ledger/query`` will serve."""
    sim = w.get_sim(request)
    body = await w.read_json(request) or {}
    day = parse_day(str(body.get("date", "")))
    if day is None:
        return bad("date must be YYYY-MM-DD")
    drop = [str(x) for x in body.get("drop") or []]
    try:
        deltas = fen_deltas(body)
        extra = int_field(body, "extra", 0) or 0
    except ValueError as exc:
        return bad(str(exc))
    lines = build_statement(sim, day, drop, {str(k): v for k, v in deltas.items()}, extra)
    with sim.lock:
        sim.statements[day.isoformat()] = lines
    return {"date": day.isoformat(), "count": len(lines), "lines": lines}


@router.post("/douyin/pois")
async def add_poi(request: Request) -> Any:
    """Create (or rename) a POI so that the bind test call finds it."""
    sim = w.get_sim(request)
    body = await w.read_json(request) or {}
    if not body.get("poi_id"):
        return bad("poi_id is required")
    poi = sim.ensure_poi(str(body["poi_id"]), body.get("poi_name"))
    return asdict(poi)


def _order_args(sim: SimState, body: JsonDict) -> JsonDict:
    code_type = body.get("code_type", "platform")
    if code_type not in ("platform", "merchant"):
        raise ValueError("code_type must be platform or merchant")
    if not body.get("poi_id") and not body.get("poi_ids"):
        raise ValueError("poi_id is required")
    poi_ids = [str(p) for p in body.get("poi_ids") or [body["poi_id"]]]
    if body.get("poi_id") and str(body["poi_id"]) not in poi_ids:
        poi_ids.insert(0, str(body["poi_id"]))
    count = int_field(body, "count", 1) or 0
    if not 1 <= count <= 100:
        raise ValueError("count must be 1..100")
    if code_type == "merchant" and not body.get("third_sku_id"):
        raise ValueError("third_sku_id (our listing id) is required for merchant codes")
    return {
        "code_type": code_type,
        "poi_ids": poi_ids,
        "sku_id": str(body.get("sku_id") or sim.mint_id()),
        "third_sku_id": str(body.get("third_sku_id") or ""),
        "title": str(body.get("title") or "100元代金券"),
        "groupon_type": int_field(body, "groupon_type", 2) or 2,
        "count": count,
        "original_amount": int_field(body, "original_amount", 10_000) or 0,
        "pay_amount": int_field(body, "pay_amount", 6_000) or 0,
        "valid_days": int_field(body, "valid_days", 30) or 0,
        "open_id": str(body.get("open_id") or "sim-open-" + sim.mint_digits(8)),
    }


@router.post("/douyin/orders")
async def create_order(request: Request) -> Any:
    """A consumer buys: platform codes are minted; merchant codes are asked from our issue SPI."""
    return await order_flow(w.get_sim(request), await w.read_json(request) or {}, _base(request))


async def order_flow(sim: SimState, body: JsonDict, base_url: str) -> Any:
    """The purchase flow of ``POST /_sim/douyin/orders`` (also what buying a product runs)."""
    try:
        args = _order_args(sim, body)
    except ValueError as exc:
        return bad(str(exc))
    if args["code_type"] == "merchant" and not sim.config.target_base_url:
        return bad("SIM_TARGET_BASE_URL is not set: nowhere to send the issue SPI", 409)
    order = sim_flows.create_order(sim, **args)
    if order.code_type == "merchant":
        wait = body.get("wait", True) is not False
        await run_in_threadpool(sim_flows.start_issue, sim, order, wait)
    view = sim_flows.order_view(sim, order, base_url)
    view["retrying"] = order.code_type == "merchant" and order.status == "issuing"
    return view


@router.get("/douyin/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> Any:
    """One order with its codes, status and issue attempts."""
    sim = w.get_sim(request)
    order = sim.orders.get(order_id)
    if order is None:
        return bad("no such order", 404)
    return sim_flows.order_view(sim, order, _base(request))


@router.post("/douyin/refunds")
async def create_refund(request: Request) -> Any:
    """A consumer refunds unused codes (``codes`` to pick; ``force`` includes used ones)."""
    return await refund_flow(w.get_sim(request), await w.read_json(request) or {})


async def refund_flow(sim: SimState, body: JsonDict) -> Any:
    """``{"order_id", "codes"?, "force"?, "wait"?}``: platform codes → refund_success webhooks
    (queued); merchant codes → refund-apply then refund-notice SPIs."""
    order = sim.orders.get(str(body.get("order_id", "")))
    if order is None:
        return bad("no such order", 404)
    if order.code_type == "merchant" and not sim.config.target_base_url:
        return bad("SIM_TARGET_BASE_URL is not set: nowhere to send the refund SPIs", 409)
    codes = [str(c) for c in body["codes"]] if body.get("codes") else None
    force, wait = bool(body.get("force", False)), body.get("wait", True) is not False
    result = await run_in_threadpool(sim_flows.refund, sim, order, codes, force, wait)
    if "error" in result:
        return bad(str(result["error"]), 409)
    return result


@router.post("/douyin/order-status")
async def order_status(request: Request) -> Any:
    """Ask our order-status SPI about ``order_ids`` (one signed call, no retry)."""
    sim = w.get_sim(request)
    body = await w.read_json(request) or {}
    order_ids = [str(o) for o in body.get("order_ids") or []]
    if not order_ids or len(order_ids) > 100:
        return bad("order_ids: 1..100 ids")
    payload = {"scene": "fulfil", "order_ids": order_ids}
    return await run_in_threadpool(post_spi, sim, "order_status", payload)


@router.get("/douyin/webhooks")
async def queued_webhooks(request: Request) -> list[JsonDict]:
    """Webhook messages waiting for a flush."""
    sim = w.get_sim(request)
    with sim.lock:
        return list(sim.webhooks)


@router.post("/douyin/webhooks/flush")
async def flush(request: Request) -> JsonDict:
    """Deliver queued webhooks to our service (``duplicate`` sends each twice, same Msg-Id)."""
    sim = w.get_sim(request)
    body = await w.read_json(request) or {}
    return await run_in_threadpool(flush_webhooks, sim, bool(body.get("duplicate", False)))
