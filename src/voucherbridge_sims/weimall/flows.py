"""What the mall does when a buyer pays or gets a refund: push to our service, keep the answer.

Blocking (network I/O); the hooks run these in a worker thread and never under the state lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from voucherbridge_sims.weimall.push import PushJob, deliver
from voucherbridge_sims.weimall.state import Code, JsonDict, Order, SimState


def _store_codes(sim: SimState, order: Order) -> Callable[[JsonDict], None]:
    def on_answer(data: JsonDict) -> None:
        raw = data.get("codes")
        codes = [str(c) for c in raw] if isinstance(raw, list) else []
        with sim.lock:
            if order.codes:
                # A replay or a late resend: the first answer's codes stay; note agreement.
                order.replays.append({"codes": codes, "same": codes == order.codes})
                return
            order.codes = codes
            order.status = "issued" if codes else "no_codes"
            for code in codes:
                sim.codes.setdefault(code, Code(code, order.order_no, order.store_id))

    return on_answer


def _give_up(sim: SimState, order: Order) -> Callable[[], None]:
    def on_give_up() -> None:
        with sim.lock:
            if order.status == "pending":
                order.status = "failed"

    return on_give_up


def purchase_payload(order: Order) -> JsonDict:
    return {
        "order_no": order.order_no,
        "coupon_id": order.coupon_id,
        "title": order.title,
        "quantity": order.quantity,
        "unit_price_fen": order.unit_price_fen,
        "buyer": {"openid": order.openid, "mobile_masked": order.mobile_masked},
        "paid_at": order.paid_at.isoformat(),
    }


def push_purchase(sim: SimState, order: Order) -> JsonDict:
    """Send VOUCHER_PURCHASED (a fresh msg_id each call, so a replay tests order_no idempotency)."""
    job = PushJob(
        store_id=order.store_id,
        type_="VOUCHER_PURCHASED",
        payload=purchase_payload(order),
        on_answer=_store_codes(sim, order),
        on_give_up=_give_up(sim, order),
        attempts=order.attempts,  # every push of the order (first, resends, replays) in one list
    )
    result = deliver(sim, job)
    return {**sim.order_view(order), "retrying": result["retrying"]}


def new_order(
    sim: SimState,
    *,
    store_id: str,
    coupon_id: str,
    quantity: int,
    openid: str,
    title: str | None,
    unit_price_fen: int | None,
) -> Order:
    digits = "".join(secrets.choice("0123456789") for _ in range(4))
    order = Order(
        order_no=sim.mint_order_no(),
        store_id=store_id,
        coupon_id=coupon_id,
        title=title or sim.config.default_title,
        quantity=quantity,
        unit_price_fen=(
            sim.config.default_unit_price_fen if unit_price_fen is None else unit_price_fen
        ),
        openid=openid,
        mobile_masked=f"138****{digits}",
        paid_at=sim.clock.now(),
    )
    with sim.lock:
        sim.orders[order.order_no] = order
    return order


def push_refund(sim: SimState, order: Order, codes: list[str] | None) -> JsonDict:
    """Send VOUCHER_REFUNDED; codes our service says it voided become voided here too."""
    refund_no = "RF" + secrets.token_hex(6).upper()
    payload: JsonDict = {"order_no": order.order_no, "refund_no": refund_no}
    if codes is not None:
        payload["codes"] = codes
    refund: JsonDict = {"refund_no": refund_no, "codes": codes, "voided": [], "refused": []}
    refund["status"] = "pending"

    def on_answer(data: JsonDict) -> None:
        voided = [str(c) for c in data.get("voided") or [] if isinstance(c, str)]
        refused = [r for r in data.get("refused") or [] if isinstance(r, dict)]
        with sim.lock:
            for code in voided:
                record = sim.codes.get(code)
                if record is not None and record.order_no == order.order_no:
                    record.status = "voided"
            refund.update(voided=voided, refused=refused, status="done")
            mine = [c for c in sim.codes.values() if c.order_no == order.order_no]
            if mine and all(c.status == "voided" for c in mine):
                order.status = "refunded"

    def on_give_up() -> None:
        with sim.lock:
            refund["status"] = "failed"

    job = PushJob(order.store_id, "VOUCHER_REFUNDED", payload, on_answer, on_give_up)
    with sim.lock:
        order.refunds.append(refund)
    result = deliver(sim, job)
    with sim.lock:
        return {**refund, "retrying": result["retrying"], "attempts": list(job.attempts)}
