"""Certificate endpoints of the Douyin simulator besides prepare/verify: cancel, get and query."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.douyin.cert_views import can_cancel, certificate_notify, full_view

router = APIRouter(prefix="/goodlife/v1/fulfilment/certificate")


@router.post("/cancel/")
async def cancel(request: Request) -> JSONResponse:
    """撤销核销: within the cancel window the code becomes usable again."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    body = await w.read_json(request)
    if body is None or not body.get("certificate_id") or not body.get("verify_id"):
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: certificate_id 与 verify_id 必填")
    with sim.lock:
        verification = sim.verifications.get(str(body["verify_id"]))
        if verification is None or verification.certificate_id != str(body["certificate_id"]):
            return w.fail(sim, w.VERIFY_NOT_FOUND)
        if verification.cancelled_at is not None:
            return w.fail(sim, w.ALREADY_CANCELLED)
        if not can_cancel(sim, verification):
            msg = w.CANCEL_TOO_LATE_MSG
            return w.fail(sim, w.GENERIC, msg, w.CANCEL_TOO_LATE_SUB, msg)
        cert = sim.certificates[verification.certificate_id]
        verification.cancelled_at = sim.clock.now()
        cert.status = "unused"
        cert.verify_id = None
        if cert.code_type == "platform":
            notify = certificate_notify(sim, cert, "verify_cancel", verification)
            sim.queue_webhook("life_trade_certificate_notify", notify)
        return w.ok(sim)


@router.get("/get/")
async def get_certificate(request: Request) -> JSONResponse:
    """券状态查询 by ``encrypted_code`` (``code`` also accepted [M])."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    encrypted, code = request.query_params.get("encrypted_code"), request.query_params.get("code")
    if not encrypted and not code:
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: encrypted_code 必填")
    with sim.lock:
        cert_id = sim.cert_by_enc.get(encrypted) if encrypted else sim.cert_by_code.get(code or "")
        if cert_id is None:
            return w.fail(sim, w.CODE_NOT_FOUND)
        return w.ok(sim, certificate=full_view(sim, sim.certificates[cert_id]))


@router.get("/query/")
async def query_certificates(request: Request) -> JSONResponse:
    """券状态批量查询 by ``encrypted_code`` or ``order_id``."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    encrypted = request.query_params.get("encrypted_code")
    order_id = request.query_params.get("order_id")
    if not encrypted and not order_id:
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: encrypted_code 或 order_id 必填")
    with sim.lock:
        if encrypted:
            found = sim.cert_by_enc.get(encrypted)
            cert_ids = [found] if found else []
        else:
            order = sim.orders.get(order_id or "")
            cert_ids = list(order.certificate_ids) if order else []
        if not cert_ids:
            return w.fail(sim, w.CODE_NOT_FOUND)
        items = [full_view(sim, sim.certificates[c]) for c in cert_ids]
        return w.ok(sim, certificates=items, certificates_v2=items)
