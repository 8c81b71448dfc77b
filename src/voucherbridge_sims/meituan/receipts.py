"""The six ``/router/tuangou/receipt/*`` endpoints of the simulator (PROTOCOLS §2).

Rules it enforces: the session must cover the shop, the receipt's deal must be sold at that
shop (403), a used code is refused (409), an expired one too (410, ``receipt_end_date``),
consume takes ``count`` codes of the receipt's group at once, ``requestid`` makes a consume
idempotent (the same id answers its first success again, and only for the same call), and a
consume can be reversed for ``reverse_window_s`` (412 after). A code the consumer had refunded
answers 404 "券码已退款" (Meituan tells the merchant nothing else about refunds).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge.platforms.meituan.signing import CHINA
from voucherbridge_sims.meituan.state import (
    BAD_REQUEST,
    EXPIRED,
    NOT_CONSUMED,
    NOT_FOUND,
    TOO_LATE,
    USED,
    WRONG_SHOP,
    Consume,
    JsonDict,
    Receipt,
    Session,
    SimState,
)
from voucherbridge_sims.meituan.wire import Refused, int_param, serve, shop_of

router = APIRouter(prefix="/router/tuangou/receipt")
MAX_COUNT = 100
REFUNDED_MSG = "券码已退款"  # a refunded receipt is gone for the merchant: 404 with this text [M]


def _receipt(sim: SimState, params: dict[str, str], shop: str) -> Receipt:
    code = (params.get("receipt_code") or "").strip()
    receipt = sim.receipts.get(code)
    if receipt is None:
        raise Refused(NOT_FOUND)
    if shop not in sim.orders[receipt.order_id].shop_ids:
        raise Refused(WRONG_SHOP)
    return receipt


def _usable(sim: SimState, receipt: Receipt) -> None:
    if receipt.status == "refunded":
        raise Refused(NOT_FOUND, REFUNDED_MSG)
    if receipt.status == "used":
        raise Refused(USED)
    if sim.clock.now() >= sim.orders[receipt.order_id].end_at:
        raise Refused(EXPIRED)


def _prepare(sim: SimState, session: Session | None, params: dict[str, str]) -> JsonDict:
    receipt = _receipt(sim, params, shop_of(session, params))
    _usable(sim, receipt)
    return sim.receipt_data(receipt)


def _scanprepare(sim: SimState, session: Session | None, params: dict[str, str]) -> list[JsonDict]:
    shop = shop_of(session, params)
    qr = (params.get("qr_code") or "").strip()
    order = next((o for o in sim.orders.values() if o.qr_code == qr), None)
    if order is None:
        raise Refused(NOT_FOUND)
    if shop not in order.shop_ids:
        raise Refused(WRONG_SHOP)
    usable = sim.usable(order)
    if not usable:
        if all(sim.receipts[c].status == "refunded" for c in order.codes):
            raise Refused(NOT_FOUND, REFUNDED_MSG)
        raise Refused(USED)
    if sim.clock.now() >= order.end_at:
        raise Refused(EXPIRED)
    return [sim.receipt_data(r) for r in usable]


def _consume(sim: SimState, session: Session | None, params: dict[str, str]) -> list[JsonDict]:
    shop = shop_of(session, params)
    requestid = (params.get("requestid") or "").strip()
    if not requestid:
        raise Refused(BAD_REQUEST, "缺少参数 requestid")
    count = int_param(params, "count", 1)
    call = (params.get("receipt_code") or "", shop, str(count))
    earlier = sim.requestids.get(requestid)
    if earlier is not None:
        if earlier[0] != call:
            raise Refused(BAD_REQUEST, "requestid已被使用")
        return list(earlier[1]["data"])
    if not 1 <= count <= MAX_COUNT:
        raise Refused(BAD_REQUEST, f"count须在1到{MAX_COUNT}之间")
    receipt = _receipt(sim, params, shop)
    _usable(sim, receipt)
    order = sim.orders[receipt.order_id]
    # The scanned code first, then the group's other unused codes in purchase order.
    group = [receipt] + [r for r in sim.usable(order) if r is not receipt]
    if count > len(group):
        raise Refused(BAD_REQUEST, f"可验证数量不足,剩余{len(group)}张")
    now = sim.clock.now()
    done: list[JsonDict] = []
    for chosen in group[:count]:
        consume = Consume(
            seq=len(sim.consumes) + 1,
            requestid=requestid,
            receipt_code=chosen.receipt_code,
            order_id=order.order_id,
            deal_id=order.deal_id,
            open_shop_uuid=shop,
            price_fen=order.price_fen,
            verify_time=now,
            account=params.get("app_shop_account", ""),
            account_name=params.get("app_shop_accountname", ""),
        )
        sim.consumes.append(consume)
        chosen.status, chosen.consume_seq = "used", consume.seq
        done.append(sim.consume_data(consume))
    sim.requestids[requestid] = (call, {"data": done})
    return done


def _consumed(sim: SimState, receipt: Receipt, shop: str) -> Consume:
    if receipt.status != "used" or receipt.consume_seq is None:
        raise Refused(NOT_CONSUMED)
    consume = sim.consumes[receipt.consume_seq - 1]
    if consume.open_shop_uuid != shop:
        raise Refused(WRONG_SHOP, "非本门店验证的券码")
    return consume


def _reverse(sim: SimState, session: Session | None, params: dict[str, str]) -> list[JsonDict]:
    shop = shop_of(session, params)
    receipt = _receipt(sim, params, shop)
    consume = _consumed(sim, receipt, shop)
    if (params.get("app_deal_id") or "") != consume.deal_id:
        raise Refused(BAD_REQUEST, "app_deal_id与券码不匹配")
    now = sim.clock.now()
    if now > consume.verify_time + timedelta(seconds=sim.config.reverse_window_s):
        raise Refused(TOO_LATE)
    consume.reversed_at = now
    receipt.status, receipt.consume_seq = "unused", None
    return [
        {"receipt_code": receipt.receipt_code, "deal_id": consume.deal_id, "open_shop_uuid": shop}
    ]


def _getconsumed(sim: SimState, session: Session | None, params: dict[str, str]) -> JsonDict:
    shop = shop_of(session, params)
    receipt = _receipt(sim, params, shop)
    consume = _consumed(sim, receipt, shop)
    return {
        **sim.receipt_data(receipt),
        **sim.record_of(consume),
        "verify_channel": "open_api",
    }


def _querylistbydate(sim: SimState, session: Session | None, params: dict[str, str]) -> JsonDict:
    shop = shop_of(session, params)
    try:
        day = date.fromisoformat(params.get("date") or "")
    except ValueError as exc:
        raise Refused(BAD_REQUEST, "date须为yyyy-MM-dd") from exc
    offset, limit = int_param(params, "offset", 0), int_param(params, "limit", 100)
    if offset < 0 or not 1 <= limit <= 100:
        raise Refused(BAD_REQUEST, "offset/limit无效")
    built = sim.statements.get(day.isoformat())
    if built is None:
        records = live_records(sim, day)
    else:
        records = [dict(r) for r in built]
    records = [r for r in records if r["open_shop_uuid"] == shop]
    return {"total_count": len(records), "records": records[offset : offset + limit]}


def live_records(sim: SimState, day: date) -> list[JsonDict]:
    """Unreversed consumes whose Beijing date is ``day`` (caller holds the lock)."""
    return [
        sim.record_of(c)
        for c in sim.consumes
        if c.reversed_at is None and c.verify_time.astimezone(CHINA).date() == day
    ]


@router.post("/prepare")
async def prepare(request: Request) -> JSONResponse:
    """输码验券校验: what one code is and how many of its group are usable. Changes nothing."""
    return await serve(request, _prepare)


@router.post("/scanprepare")
async def scanprepare(request: Request) -> JSONResponse:
    """扫码验券校验: every usable code of the purchase behind a QR code."""
    return await serve(request, _scanprepare)


@router.post("/consume")
async def consume(request: Request) -> JSONResponse:
    """验券: ``count`` codes of the receipt's group; idempotent on ``requestid``."""
    return await serve(request, _consume)


@router.post("/reverseconsume")
async def reverseconsume(request: Request) -> JSONResponse:
    """撤销验券 of one code, within the window."""
    return await serve(request, _reverse)


@router.api_route("/getconsumed", methods=["GET", "POST"])
async def getconsumed(request: Request) -> JSONResponse:
    """验券记录 of one code."""
    return await serve(request, _getconsumed)


@router.api_route("/querylistbydate", methods=["GET", "POST"])
async def querylistbydate(request: Request) -> Any:
    """A shop's consumes of one day: the settlement source."""
    return await serve(request, _querylistbydate)
