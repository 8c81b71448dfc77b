"""Business flows of the Douyin simulator: orders, merchant-code issue, refunds, callbacks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from voucherbridge_sims.douyin.cert_views import certificate_notify
from voucherbridge_sims.douyin.push import PushJob, deliver
from voucherbridge_sims.douyin.state import Certificate, JsonDict, Order, SimState

# What a consumer shares: the same short id on Douyin's host. Our service resolves it on its
# configured short-link base, which in the demo is this simulator's /s/.
SHARE_BASE = "https://v.douyin.com"


def create_order(
    sim: SimState,
    *,
    code_type: str,
    poi_ids: list[str],
    sku_id: str,
    third_sku_id: str,
    title: str,
    groupon_type: int,
    count: int,
    original_amount: int,
    pay_amount: int,
    valid_days: int,
    open_id: str,
) -> Order:
    """A paid Douyin order; platform codes (15 digits, one short link each) are minted now."""
    now = sim.clock.now()
    with sim.lock:
        order = Order(
            order_id=sim.mint_digits(19, sim.orders),
            code_type=code_type,
            poi_ids=poi_ids,
            sku_id=sku_id,
            third_sku_id=third_sku_id,
            title=title,
            groupon_type=groupon_type,
            count=count,
            original_amount=original_amount,
            pay_amount=pay_amount,
            open_id=open_id,
            created_at=now,
            start_time=now,
            expire_time=now + timedelta(days=valid_days),
            status="paid" if code_type == "platform" else "issuing",
        )
        sim.orders[order.order_id] = order
        for poi_id in poi_ids:
            sim.ensure_poi(poi_id)
        if code_type == "platform":
            for _ in range(count):
                cert = sim.add_certificate(order, sim.mint_digits(15, sim.cert_by_code), None)
                cert.short_id, cert.object_id = sim.add_link([cert.certificate_id])
            order.short_id, order.object_id = sim.add_link(order.certificate_ids)
    return order


def order_view(sim: SimState, order: Order, base_url: str) -> JsonDict:
    """What the order hook returns: codes with their short links (platform) or issue status."""
    with sim.lock:
        codes = []
        for cert_id in order.certificate_ids:
            cert = sim.certificates[cert_id]
            item: JsonDict = {
                "code": cert.code,
                "certificate_id": cert.certificate_id,
                "encrypted_code": cert.encrypted_code,
                "status": cert.status,
            }
            if cert.short_id:
                item["short_link"] = f"{base_url}/s/{cert.short_id}"
                item["share_link"] = f"{SHARE_BASE}/{cert.short_id}/"
                item["object_id"] = cert.object_id
            codes.append(item)
        view: JsonDict = {
            "order_id": order.order_id,
            "code_type": order.code_type,
            "status": order.status,
            "poi_id": order.poi_ids[0],
            "poi_ids": order.poi_ids,
            "sku_id": order.sku_id,
            "third_sku_id": order.third_sku_id,
            "count": order.count,
            "original_amount": order.original_amount,
            "pay_amount": order.pay_amount,
            "start_time": int(order.start_time.timestamp()),
            "expire_time": int(order.expire_time.timestamp()),
            "codes": codes,
            "certificates": [
                {"code": c["code"], "certificate_id": c["certificate_id"]} for c in codes
            ],
            "attempts": list(order.attempts),
        }
        if order.short_id:
            view["order_short_link"] = f"{base_url}/s/{order.short_id}"
            view["order_share_link"] = f"{SHARE_BASE}/{order.short_id}/"
            view["order_object_id"] = order.object_id
        return view


def register_codes(sim: SimState, order: Order, items: list[Any]) -> None:
    """Remember the merchant codes our service issued (caller holds the lock); replays skip.
    Douyin keys each by a certificate id of its own; the one in the issue answer is the
    service's."""
    for item in items:
        code = str(item.get("code") or "") if isinstance(item, dict) else str(item)
        if not code or code in sim.cert_by_code:
            continue
        sim.add_certificate(order, code, None)


def well_formed_certificates(data: JsonDict) -> bool:
    """The issue SPI answer lists each code as ``{"certificate_id", "code"}`` (发券SPI)."""
    items = data.get("certificates")
    return isinstance(items, list) and all(
        isinstance(i, dict) and i.get("code") and i.get("certificate_id") for i in items
    )


def apply_issue_answer(sim: SimState, order_id: str, data: JsonDict) -> None:
    """Our issue SPI answer: result 1 issued (codes stored), 0 still issuing, 2 failed."""
    result = str(data.get("result", 1))
    with sim.lock:
        order = sim.orders.get(order_id)
        if order is None:
            return
        if result == "1" and not well_formed_certificates(data):
            order.status = "issue_failed"
        elif result == "1":
            register_codes(sim, order, list(data.get("certificates") or []))
            order.status = "issued"
        elif result == "0":
            order.status = "pending"
        else:
            order.status = "issue_failed"


def start_issue(sim: SimState, order: Order, wait: bool) -> None:
    """Call our issue SPI for a merchant-code order (Douyin's retry schedule on failure)."""
    payload = {
        "order_id": order.order_id,
        "count": order.count,
        "sku": {
            "sku_name": order.title,
            "sku_id": order.sku_id,
            "third_sku_id": order.third_sku_id,
            "groupon_type": order.groupon_type,
        },
        "open_id": order.open_id,
        "start_time": int(order.start_time.timestamp()),
        "expire_time": int(order.expire_time.timestamp()),
        "amount": {
            "original_amount": order.original_amount * order.count,
            "pay_amount": order.pay_amount * order.count,
        },
    }

    def give_up() -> None:
        with sim.lock:
            order.status = "issue_failed"

    job = PushJob(
        "issue",
        payload,
        on_answer=lambda data: apply_issue_answer(sim, order.order_id, data),
        on_give_up=give_up,
    )
    order.attempts = job.attempts
    deliver(sim, job, wait)


def apply_create_callback(sim: SimState, body: JsonDict) -> bool:
    """发券回调 from our service: the result of an issue answered with ``result: 0``."""
    with sim.lock:
        order = sim.orders.get(str(body["order_id"]))
        if order is None or order.code_type != "merchant":
            return False
        if str(body["result"]) == "1":
            register_codes(sim, order, list(body.get("codes") or []))
            order.status = "issued"
        else:
            order.status = "issue_failed"
        return True


def refund(
    sim: SimState, order: Order, codes: list[str] | None, force: bool, wait: bool
) -> JsonDict:
    """Refund unused codes: platform → refund_success webhooks; merchant → refund SPIs."""
    with sim.lock:
        certs = [sim.certificates[c] for c in order.certificate_ids]
        if codes:
            certs = [c for c in certs if c.code in codes]
        if not force:
            certs = [c for c in certs if c.status == "unused"]
        if not certs:
            return {"error": "no refundable codes"}
        if order.code_type == "platform":
            for cert in certs:
                cert.status = "refunded"
                notify = certificate_notify(sim, cert, "refund_success")
                sim.queue_webhook("life_trade_certificate_notify", notify)
            _mark_order_refunded(sim, order)
            return {"order_id": order.order_id, "refunded": [c.code for c in certs]}
        after_sale_id = sim.mint_id()
        record: JsonDict = {
            "after_sale_id": after_sale_id,
            "order_id": order.order_id,
            "certificate_ids": [c.certificate_id for c in certs],
            "refund_amount": order.pay_amount * len(certs),
            "status": "applying",
            "apply_attempts": [],
            "notice_attempts": [],
        }
        sim.refunds[after_sale_id] = record
    payload = {
        "order_id": order.order_id,
        "after_sale_id": after_sale_id,
        "refund_amount": record["refund_amount"],
        "codes": [c.code for c in certs],
        "certificates": [{"certificate_id": c.certificate_id, "code": c.code} for c in certs],
        "reason": "用户申请退款",
    }
    job = PushJob(
        "refund_apply",
        payload,
        on_answer=lambda data: decide_refund(sim, after_sale_id, data.get("result"), True),
    )
    record["apply_attempts"] = job.attempts
    deliver(sim, job, wait)
    return record


def decide_refund(sim: SimState, after_sale_id: str, result: Any, wait_notice: bool) -> None:
    """Agree (1) refunds the still-unused codes, reject (2) keeps them, 0 awaits the audit
    callback; a decision is followed by the refund-notice SPI."""
    decision = str(result)
    with sim.lock:
        record = sim.refunds[after_sale_id]
        if decision not in ("1", "2"):
            record["status"] = "pending_audit"
            return
        record["status"] = "agreed" if decision == "1" else "rejected"
        order = sim.orders[record["order_id"]]
        items = []
        for cert_id in record["certificate_ids"]:
            cert: Certificate = sim.certificates[cert_id]
            done = decision == "1" and cert.status == "unused"
            if done:
                cert.status = "refunded"
            items.append(
                {
                    "certificate_id": cert.certificate_id,
                    "code": cert.code,
                    "refund_status": 1 if done else 2,
                }
            )
        _mark_order_refunded(sim, order)
    payload = {
        "order_id": order.order_id,
        "after_sale_id": after_sale_id,
        "refund_status": 1 if decision == "1" else 2,
        "refund_amount": sum(order.pay_amount for i in items if i["refund_status"] == 1),
        "certificates": items,
    }
    job = PushJob("refund_notice", payload, on_answer=lambda data: None)
    record["notice_attempts"] = job.attempts
    deliver(sim, job, wait_notice)


def apply_refund_audit(sim: SimState, body: JsonDict) -> bool:
    """退款审核回调 from our service: decides a refund left ``pending_audit``."""
    after_sale_id = str(body["after_sale_id"])
    with sim.lock:
        record = sim.refunds.get(after_sale_id)
        if record is None:
            return False
        if record["status"] != "pending_audit":
            return True
    decide_refund(sim, after_sale_id, body.get("audit_result", body.get("result")), False)
    return True


def _mark_order_refunded(sim: SimState, order: Order) -> None:
    if all(sim.certificates[c].status == "refunded" for c in order.certificate_ids):
        order.status = "refunded"
