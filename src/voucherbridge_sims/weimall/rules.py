"""The mall's rules for what our service tells it: uses (idempotent on ``redemption_id``),
reversals (refused after ``reversal_window_s`` of the mall's clock) and statement rows.

Each rule runs under the state lock and answers in the mall's ``{"code", "msg", "data"}`` form.
"""

from __future__ import annotations

from datetime import date, timedelta

from voucherbridge_sims.weimall.state import (
    ALREADY_USED,
    BAD_REQUEST,
    CHINA,
    NOT_FOUND,
    VOIDED,
    WINDOW_CLOSED,
    JsonDict,
    Redemption,
    SimState,
    parse_time,
    reply,
)


def redeemed(sim: SimState, store_id: str, p: JsonDict) -> JsonDict:
    code, rid = p.get("code"), p.get("redemption_id")
    discount = p.get("discount_fen")
    redeemed_at = parse_time(p.get("redeemed_at"))
    if not isinstance(code, str) or not isinstance(rid, str) or not rid:
        return reply(BAD_REQUEST, msg="bad request: code and redemption_id required")
    if not isinstance(discount, int) or isinstance(discount, bool) or discount < 0:
        return reply(BAD_REQUEST, msg="bad request: discount_fen must be integer fen")
    if redeemed_at is None:
        return reply(BAD_REQUEST, msg="bad request: redeemed_at must be ISO 8601")
    if p.get("store_id") not in (None, store_id):
        return reply(BAD_REQUEST, msg="bad request: store_id is not the signing store")
    with sim.lock:
        earlier = sim.redemptions.get(rid)
        if earlier is not None:
            # The same redemption id is the same use: answer as the first time did.
            if earlier.code != code or earlier.store_id != store_id:
                return reply(ALREADY_USED, msg="redemption_id already used for another code")
            return reply()
        record = sim.codes.get(code)
        if record is None or record.store_id != store_id:
            return reply(NOT_FOUND)
        if record.status == "voided":
            return reply(VOIDED)
        if record.status == "used":
            return reply(ALREADY_USED)
        record.status = "used"
        record.uses.append(rid)
        order_no = p.get("order_no")
        sim.redemptions[rid] = Redemption(
            redemption_id=rid,
            code=code,
            store_id=store_id,
            order_no=order_no if isinstance(order_no, str) else record.order_no,
            discount_fen=discount,
            redeemed_at=redeemed_at,
            received_at=sim.clock.now(),
        )
        return reply()


def reversed_(sim: SimState, store_id: str, p: JsonDict) -> JsonDict:
    code, rid = p.get("code"), p.get("redemption_id")
    if not isinstance(code, str) or not isinstance(rid, str):
        return reply(BAD_REQUEST, msg="bad request: code and redemption_id required")
    with sim.lock:
        record = sim.redemptions.get(rid)
        if record is None or record.code != code or record.store_id != store_id:
            return reply(NOT_FOUND, msg="redemption not found")
        if record.reversed_at is not None:
            return reply()
        now = sim.clock.now()
        if now - record.received_at > timedelta(seconds=sim.config.reversal_window_s):
            return reply(WINDOW_CLOSED)
        record.reversed_at = now
        record.reason = str(p.get("reason") or "")[:200]
        voucher = sim.codes.get(code)
        if voucher is not None and voucher.status == "used":
            voucher.status = "unused"
        return reply()


def live_rows(sim: SimState, store_id: str | None, day: date) -> list[JsonDict]:
    with sim.lock:
        rows = []
        for r in sim.redemptions.values():
            if store_id is not None and r.store_id != store_id:
                continue
            if r.redeemed_at.astimezone(CHINA).date() != day:
                continue
            rows.append(
                {
                    "code": r.code,
                    "redemption_id": r.redemption_id,
                    "store_id": r.store_id,
                    "amount_fen": r.discount_fen,
                    "redeemed_at": r.redeemed_at.isoformat(),
                    "status": "reversed" if r.reversed_at else "redeemed",
                }
            )
        return sorted(rows, key=lambda row: (row["redeemed_at"], row["redemption_id"]))


def settlement_rows(sim: SimState, store_id: str, day: date) -> list[JsonDict]:
    with sim.lock:
        built = sim.statements.get(day.isoformat())
        if built is None:
            return live_rows(sim, store_id, day)
        return [dict(row) for row in built if row["store_id"] == store_id]
