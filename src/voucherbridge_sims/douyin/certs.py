"""Certificate endpoints of the Douyin simulator: prepare, verify, cancel, get, query.

Platform codes follow prepare → verify (one verify per verify_token; a repeated verify_token
replays the first answer). Merchant codes use the same verify endpoint with ``order_id`` and
plain ``codes`` and our redemption id as ``verify_token`` (idempotent the same way).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.douyin.state import (
    CERT_STATUS,
    Certificate,
    JsonDict,
    Order,
    PrepareSession,
    SimState,
    Verification,
)

router = APIRouter(prefix="/goodlife/v1/fulfilment/certificate")


def amount_view(order: Order) -> JsonDict:
    """Per-code amounts in fen."""
    return {
        "original_amount": order.original_amount,
        "pay_amount": order.pay_amount,
        "list_market_amount": order.original_amount,
        "coupon_pay_amount": order.pay_amount,
        "merchant_ticket_amount": 0,
        "platform_discount_amount": 0,
        "payment_discount_amount": 0,
    }


def sku_view(sim: SimState, order: Order) -> JsonDict:
    return {
        "sku_id": order.sku_id,
        "title": order.title,
        "third_sku_id": order.third_sku_id,
        "groupon_type": order.groupon_type,
        "market_price": order.original_amount,
        "account_id": sim.config.account_id,
        "sold_start_time": int(order.created_at.timestamp()),
    }


def status_of(sim: SimState, cert: Certificate) -> int:
    order = sim.orders[cert.order_id]
    if cert.status == "unused" and sim.clock.now() >= order.expire_time:
        return CERT_STATUS["expired"]
    return CERT_STATUS[cert.status]


def not_available(sim: SimState, order: Order, poi_id: str | None) -> list[str]:
    """Known POIs (plus the asking one) where this order's codes cannot be used."""
    pois = set(sim.pois) | ({poi_id} if poi_id else set())
    return sorted(p for p in pois if p not in order.poi_ids)


def prepare_view(sim: SimState, cert: Certificate, poi_id: str) -> JsonDict:
    order = sim.orders[cert.order_id]
    return {
        "encrypted_code": cert.encrypted_code,
        "certificate_id": cert.certificate_id,
        "start_time": int(order.start_time.timestamp()),
        "expire_time": int(order.expire_time.timestamp()),
        "amount": amount_view(order),
        "sku": sku_view(sim, order),
        "not_available_poi_list": not_available(sim, order, poi_id),
        "status": status_of(sim, cert),
    }


def full_view(sim: SimState, cert: Certificate) -> JsonDict:
    """What get/query show: the plain code, status and the current verification."""
    order = sim.orders[cert.order_id]
    view = {
        **prepare_view(sim, cert, ""),
        "code": cert.code,
        "order_id": cert.order_id,
        "code_type": cert.code_type,
    }
    verification = sim.verifications.get(cert.verify_id or "")
    if verification is not None:
        view["verify"] = verify_view(sim, verification)
    view["not_available_poi_list"] = not_available(sim, order, None)
    return view


def can_cancel(sim: SimState, verification: Verification) -> bool:
    window = timedelta(seconds=sim.config.cancel_window_s)
    return verification.cancelled_at is None and (
        sim.clock.now() - verification.verify_time <= window
    )


def verify_view(sim: SimState, verification: Verification) -> JsonDict:
    return {
        "verify_id": verification.verify_id,
        "certificate_id": verification.certificate_id,
        "verify_time": int(verification.verify_time.timestamp()),
        "verify_type": verification.verify_type,
        "poi_id": verification.poi_id,
        "can_cancel": can_cancel(sim, verification),
    }


def certificate_notify(
    sim: SimState, cert: Certificate, action: str, verification: Verification | None = None
) -> JsonDict:
    """``content`` of a ``life_trade_certificate_notify`` webhook."""
    order = sim.orders[cert.order_id]
    certificate: JsonDict = {
        "order_id": cert.order_id,
        "certificate_id": cert.certificate_id,
        "code": cert.code,
        "encrypted_code": cert.encrypted_code,
        "status": status_of(sim, cert),
        "amount": amount_view(order),
        "sku": sku_view(sim, order),
    }
    verification = verification or sim.verifications.get(cert.verify_id or "")
    if verification is not None:
        certificate["verify_id"] = verification.verify_id
        certificate["poi_id"] = verification.poi_id
        certificate["verify_time"] = int(verification.verify_time.timestamp())
    return {"action": action, "msg_time": sim.clock.now_s(), "certificate": certificate}


def use_certificate(
    sim: SimState, cert: Certificate, poi_id: str, verify_token: str, verify_type: int
) -> JsonDict:
    """Check and mark one code used (caller holds the lock); returns its verify_results item."""
    order = sim.orders[cert.order_id]
    now = sim.clock.now()
    shown = cert.encrypted_code if verify_type == 1 else cert.code
    ids: dict[str, Any] = {
        "code": shown,
        "origin_code": cert.code,
        "certificate_id": cert.certificate_id,
        "order_id": cert.order_id,
        "account_id": sim.config.account_id,
    }
    problem = 0
    if cert.status == "used":
        problem = w.RESULT_USED
    elif cert.status == "refunded":
        problem = w.RESULT_REFUNDED
    elif now >= order.expire_time:
        problem = w.RESULT_EXPIRED
    elif now < order.start_time:
        problem = w.RESULT_NOT_YET_VALID
    elif poi_id not in order.poi_ids:
        problem = w.RESULT_WRONG_POI
    if problem:
        return w.item_result(problem, verify_id="", **ids)
    verification = Verification(
        verify_id=sim.mint_digits(19, sim.verifications),
        seq=sim.next_seq(),
        certificate_id=cert.certificate_id,
        order_id=cert.order_id,
        code=cert.code,
        poi_id=poi_id,
        verify_time=now,
        verify_token=verify_token,
        verify_type=verify_type,
    )
    sim.verifications[verification.verify_id] = verification
    cert.status = "used"
    cert.verify_id = verification.verify_id
    sim.ensure_poi(poi_id)
    if cert.code_type == "platform":
        sim.queue_webhook("life_trade_certificate_notify", certificate_notify(sim, cert, "verify"))
    amount_info = {"original_amount": order.original_amount, "pay_amount": order.pay_amount}
    return w.item_result(0, verify_id=verification.verify_id, verify_amount_info=amount_info, **ids)


@router.get("/prepare/")
async def prepare(request: Request) -> JSONResponse:
    """验券准备: the unused codes behind a plain code or a short link's object_id."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    query = request.query_params
    code, encrypted, poi_id = query.get("code"), query.get("encrypted_data"), query.get("poi_id")
    if not poi_id or not (code or encrypted):
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: poi_id, code 或 encrypted_data 必填")
    with sim.lock:
        if code:
            found = sim.cert_by_code.get(code)
            cert_ids = [found] if found else []
        else:
            cert_ids = list(sim.links.get(encrypted or "", []))
        certs = [sim.certificates[c] for c in cert_ids if c in sim.certificates]
        certs = [c for c in certs if c.code_type == "platform"]
        if not certs:
            return w.fail(sim, w.CODE_NOT_FOUND)
        unused = [c for c in certs if c.status == "unused"]
        if not unused:
            used = any(c.status == "used" for c in certs)
            return w.fail(sim, w.RESULT_USED if used else w.RESULT_REFUNDED)
        session = PrepareSession(
            verify_token=sim.mint_opaque(18),
            poi_id=poi_id,
            order_id=unused[0].order_id,
            certificate_ids=[c.certificate_id for c in unused],
            created_at=sim.clock.now(),
        )
        sim.prepares[session.verify_token] = session
        items = [prepare_view(sim, c, poi_id) for c in unused]
        return w.ok(
            sim,
            verify_token=session.verify_token,
            order_id=session.order_id,
            certificates=items,
            certificates_v2=items,
        )


@router.post("/verify/")
async def verify(request: Request) -> JSONResponse:
    """验券 (encrypted_codes after prepare) or 三方码 use sync (order_id + plain codes)."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    body = await w.read_json(request)
    if body is None or not body.get("verify_token") or not body.get("poi_id"):
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: verify_token 与 poi_id 必填")
    token, poi_id = str(body["verify_token"]), str(body["poi_id"])
    encrypted = body.get("encrypted_codes")
    if isinstance(encrypted, list) and encrypted:
        return _verify_platform(sim, token, poi_id, [str(e) for e in encrypted])
    codes = body.get("codes")
    if isinstance(codes, list) and codes and body.get("order_id"):
        return _verify_merchant(sim, token, poi_id, str(body["order_id"]), [str(c) for c in codes])
    return w.fail(sim, w.PARAM_ERROR, "参数不合法: encrypted_codes 或 order_id+codes 必填")


def _verify_platform(sim: SimState, token: str, poi_id: str, encrypted: list[str]) -> JSONResponse:
    with sim.lock:
        session = sim.prepares.get(token)
        if session is None:
            return w.fail(sim, w.VERIFY_TOKEN_INVALID)
        if session.result is not None:
            return w.ok(sim, **session.result)
        ttl = timedelta(seconds=sim.config.verify_token_ttl_s)
        if sim.clock.now() > session.created_at + ttl:
            return w.fail(sim, w.VERIFY_TOKEN_INVALID)
        if poi_id != session.poi_id:
            return w.fail(sim, w.POI_MISMATCH)
        results = []
        for enc in encrypted:
            cert_id = sim.cert_by_enc.get(enc)
            if cert_id is None or cert_id not in session.certificate_ids:
                results.append(w.item_result(w.RESULT_UNKNOWN_CODE, code=enc, verify_id=""))
                continue
            results.append(use_certificate(sim, sim.certificates[cert_id], poi_id, token, 1))
        session.result = {"verify_results": results}
        return w.ok(sim, **session.result)


def _verify_merchant(
    sim: SimState, token: str, poi_id: str, order_id: str, codes: list[str]
) -> JSONResponse:
    with sim.lock:
        earlier = sim.merchant_verifies.get(token)
        if earlier is not None:
            return w.ok(sim, **earlier)
        order = sim.orders.get(order_id)
        if order is None or order.code_type != "merchant":
            return w.fail(sim, w.ORDER_NOT_FOUND)
        results = []
        for code in codes:
            cert_id = sim.cert_by_code.get(code)
            cert = sim.certificates.get(cert_id or "")
            if cert is None or cert.order_id != order_id:
                results.append(w.item_result(w.RESULT_UNKNOWN_CODE, code=code, verify_id=""))
                continue
            results.append(use_certificate(sim, cert, poi_id, token, 2))
        sim.merchant_verifies[token] = {"verify_results": results}
        return w.ok(sim, verify_results=results)


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
            return w.fail(sim, w.CANCEL_TOO_LATE, msg, w.CANCEL_TOO_LATE_SUB, msg)
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
