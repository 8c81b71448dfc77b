"""Callback endpoints of the Douyin simulator: the async issue result and the refund audit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import flows as sim_flows
from voucherbridge_sims.douyin import wire as w

router = APIRouter()


@router.post("/goodlife/v1/fulfilment/create/callback/")
async def create_callback(request: Request) -> JSONResponse:
    """发券回调: the async result of an issue SPI that answered ``result: 0``."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    body = await w.read_json(request)
    if body is None or not body.get("order_id") or body.get("result") not in (1, 2, "1", "2"):
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: order_id 与 result 必填")
    with sim.lock:
        sim.callbacks.append({"kind": "create", "at": sim.clock.now().isoformat(), "body": body})
    if not sim_flows.apply_create_callback(sim, body):
        return w.fail(sim, w.ORDER_NOT_FOUND)
    return w.ok(sim)


@router.post("/goodlife/v1/fulfilment/refund/audit/")
async def refund_audit(request: Request) -> JSONResponse:
    """退款审核回调: our decision on a refund-apply we answered with ``result: 0``."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    body = await w.read_json(request)
    if body is None or not body.get("after_sale_id"):
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: after_sale_id 必填")
    with sim.lock:
        sim.callbacks.append(
            {"kind": "refund_audit", "at": sim.clock.now().isoformat(), "body": body}
        )
    if not sim_flows.apply_refund_audit(sim, body):
        return w.fail(sim, w.ORDER_NOT_FOUND, "售后单不存在")
    return w.ok(sim)
