"""How the Douyin simulator shows certificates: amounts, SKU, status, verifications, notifies."""

from __future__ import annotations

from datetime import timedelta

from voucherbridge_sims.douyin.state import (
    CERT_STATUS,
    Certificate,
    JsonDict,
    Order,
    SimState,
    Verification,
)


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
        # An integer in prepare's certificates (Douyin's Go SDK model), a string elsewhere.
        "certificate_id": int(cert.certificate_id) if cert.certificate_id.isdigit() else 0,
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
        "certificate_id": cert.certificate_id,
        # keys of the published 券状态查询 example; their values here are [M]
        "used_status_type": status_of(sim, cert),
        "use_time_info": {"use_time_type": 1},
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
