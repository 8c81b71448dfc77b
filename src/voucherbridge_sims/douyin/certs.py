"""Certificate endpoints of the Douyin simulator that use codes: prepare and verify.

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
from voucherbridge_sims.douyin.cert_views import certificate_notify, prepare_view
from voucherbridge_sims.douyin.state import (
    Certificate,
    JsonDict,
    PrepareSession,
    SimState,
    Verification,
)

router = APIRouter(prefix="/goodlife/v1/fulfilment/certificate")


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
    problem: w.Problem = 0
    if cert.status == "used":
        problem = w.RESULT_USED
    elif cert.status == "refunded":
        problem = w.RESULT_REFUNDED
    elif now >= order.expire_time:
        problem = w.RESULT_EXPIRED
    elif now < order.start_time:
        problem = w.RESULT_NOT_YET_VALID
    elif poi_id not in order.poi_ids:
        problem = w.WRONG_POI
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
    return w.item_result(0, verify_id=verification.verify_id, **ids)


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
        if not sim.app_authorized(sim.account_of_poi(poi_id)):
            return w.fail(sim, w.NOT_AUTHORIZED)
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
                results.append(w.item_result(w.CODE_NOT_FOUND, code=enc, verify_id=""))
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
                results.append(w.item_result(w.CODE_NOT_FOUND, code=code, verify_id=""))
                continue
            results.append(use_certificate(sim, cert, poi_id, token, 2))
        sim.merchant_verifies[token] = {"verify_results": results}
        return w.ok(sim, verify_results=results)
