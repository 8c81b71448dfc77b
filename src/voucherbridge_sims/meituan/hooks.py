"""Test hooks of the Meituan simulator (``/_sim/...``, no auth, loopback only).

Besides the shared ones of `simkit.hooks` (reset, requests, faults, latency, clock): state,
buying a receipt group, refunding codes, minting an ``auth_code``, expiring sessions, adding a
shop and building the statement that ``querylistbydate`` then serves.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request

from voucherbridge.platforms.meituan.signing import timestamp
from voucherbridge_sims.meituan.receipts import MAX_COUNT, live_records
from voucherbridge_sims.meituan.state import (
    DEMO_BID,
    AuthCode,
    JsonDict,
    Order,
    Receipt,
    Shop,
    SimState,
)
from voucherbridge_sims.simkit.hooks import bad, get_sim, int_field, read_json, statement_ask


def yuan_to_fen(yuan: Decimal) -> int:
    """Dianping prices are yuan with two decimals; the simulator keeps fen internally."""
    return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


router = APIRouter(prefix="/_sim")


def _text(body: JsonDict, key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _fen(body: JsonDict, key: str, default: int | None) -> int | None:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} must be a yuan amount")
    try:
        fen = yuan_to_fen(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{key} must be a yuan amount") from exc
    if fen < 0:
        raise ValueError(f"{key} must not be negative")
    return fen


def state_view(sim: SimState) -> JsonDict:
    with sim.lock:
        return {
            "now": sim.clock.now().isoformat(),
            "shops": [asdict(s) for s in sim.shops.values()],
            "sessions": [
                {
                    "access_token": s.access_token,
                    "bid": s.bid,
                    "shop_ids": s.shop_ids,
                    "expires_at": s.expires_at.isoformat(),
                }
                for s in sim.sessions.values()
            ],
            "orders": [
                {
                    **asdict(o),
                    "created_at": o.created_at.isoformat(),
                    "end_at": o.end_at.isoformat(),
                }
                for o in sim.orders.values()
            ],
            "receipts": [asdict(r) for r in sim.receipts.values()],
            "consumes": [
                {
                    **asdict(c),
                    "verify_time": c.verify_time.isoformat(),
                    "reversed_at": c.reversed_at.isoformat() if c.reversed_at else None,
                }
                for c in sim.consumes
            ],
        }


@router.get("/state")
async def state(request: Request) -> JsonDict:
    return state_view(get_sim(request))


@router.post("/meituan/receipts")
async def buy(request: Request) -> Any:
    """A consumer buys ``count`` codes of a deal: ``{"open_shop_uuid", "deal_id", "title",
    "price_yuan", "market_price_yuan"?, "count", "valid_days", "code_length"?}`` → one receipt
    group; ``code_length`` 12 mints the newer receipts that look like Douyin codes."""
    return buy_flow(get_sim(request), await read_json(request) or {})


def buy_flow(sim: SimState, body: JsonDict) -> Any:
    """The purchase flow of ``POST /_sim/meituan/receipts`` (also what buying a product runs)."""
    shops = body.get("open_shop_uuids") or [_text(body, "open_shop_uuid") or "mt-shop-1"]
    if not isinstance(shops, list) or not all(isinstance(s, str) and s for s in shops):
        return bad("open_shop_uuids must be a list of shop ids")
    try:
        count = int_field(body, "count", 1)
        valid_days = int_field(body, "valid_days", 30)
        length = int_field(body, "code_length", 10)
        price = _fen(body, "price_yuan", 10000)
        market = _fen(body, "market_price_yuan", price)
    except ValueError as exc:
        return bad(str(exc))
    if count is None or not 1 <= count <= MAX_COUNT:
        return bad(f"count must be 1..{MAX_COUNT}")
    if length not in (10, 12):
        return bad("code_length must be 10 or 12")
    if valid_days is None or price is None or market is None:
        return bad("valid_days and prices must not be null")
    now = sim.clock.now()
    with sim.lock:
        order = Order(
            order_id=sim.digits(16),
            shop_ids=list(shops),
            deal_id=_text(body, "deal_id") or sim.digits(9),
            dealgroup_id=_text(body, "dealgroup_id") or sim.digits(9),
            title=_text(body, "title") or "美团团购券",
            price_fen=price,
            market_price_fen=market,
            mobile=_text(body, "mobile") or "138****0000",
            created_at=now,
            end_at=now + timedelta(days=valid_days),
            qr_code="mtqr" + secrets.token_hex(12),
        )
        for _ in range(count):
            code = sim.mint_receipt_code(length or 10)
            sim.receipts[code] = Receipt(code, order.order_id)
            order.codes.append(code)
        sim.orders[order.order_id] = order
    return {
        "order_id": order.order_id,
        "deal_id": order.deal_id,
        "qr_code": order.qr_code,
        "codes": list(order.codes),
        "receipt_end_date": timestamp(order.end_at),
    }


@router.post("/meituan/refunds")
async def refund(request: Request) -> Any:
    """A consumer refunds unused codes: ``{"order_id", "codes"?}``. Meituan tells the merchant
    nothing; a refunded code then answers 404 "券码已退款"."""
    return refund_flow(get_sim(request), await read_json(request) or {})


def refund_flow(sim: SimState, body: JsonDict) -> Any:
    codes = body.get("codes")
    if codes is not None and not (
        isinstance(codes, list) and all(isinstance(c, str) for c in codes)
    ):
        return bad("codes must be a list of strings")
    with sim.lock:
        order = sim.orders.get(str(body.get("order_id", "")))
        if order is None:
            return bad("no such order", 404)
        picked = [sim.receipts[c] for c in order.codes if codes is None or c in codes]
        refunded = [r for r in picked if r.status == "unused"]
        if not refunded:
            return bad("no refundable codes", 409)
        for receipt in refunded:
            receipt.status = "refunded"
        return {"order_id": order.order_id, "refunded": [r.receipt_code for r in refunded]}


@router.post("/meituan/auth_codes")
async def auth_code(request: Request) -> Any:
    """The merchant authorizes our app: ``{"shops"?: [...], "bid"?, "redirect_url"?}`` → an
    ``auth_code`` (the token exchange must then send the same ``redirect_url``)."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    with sim.lock:
        shops = body.get("shops") or list(sim.shops)
        if not isinstance(shops, list) or any(s not in sim.shops for s in shops):
            return bad("shops must list known open_shop_uuids")
        code = AuthCode(
            "mtac" + secrets.token_hex(10),
            _text(body, "bid") or DEMO_BID,
            shops,
            redirect_url=_text(body, "redirect_url") or "",
        )
        sim.auth_codes[code.code] = code
    return {"auth_code": code.code, "bid": code.bid, "shops": shops}


@router.post("/meituan/sessions/expire")
async def expire_sessions(request: Request) -> JsonDict:
    """Expire one session (``{"session"}``) or all of them, as of the simulated now."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    which = _text(body, "session")
    past = sim.clock.now() - timedelta(seconds=1)
    expired: list[str] = []
    with sim.lock:
        for session in sim.sessions.values():
            if which is None or session.access_token == which:
                session.expires_at = past
                expired.append(session.access_token)
    return {"expired": expired}


@router.post("/meituan/shops")
async def add_shop(request: Request) -> Any:
    """Add or rename a shop: ``{"open_shop_uuid", "shopname", "branchname"}``; the demo session
    covers it too."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    shop_id = _text(body, "open_shop_uuid")
    if shop_id is None:
        return bad("open_shop_uuid is required")
    shop = Shop(shop_id, _text(body, "shopname") or "模拟商户", _text(body, "branchname") or "")
    with sim.lock:
        sim.shops[shop_id] = shop
        demo = sim.sessions.get(sim.config.demo_session)
        if demo is not None and shop_id not in demo.shop_ids:
            demo.shop_ids.append(shop_id)
    return {"open_shop_uuid": shop_id, "name": shop.full_name}


@router.post("/statement")
async def statement(request: Request) -> Any:
    """Build one Beijing day's records from the live consumes, altered for reconciliation tests:
    ``{"date", "drop": [requestid or receipt_code], "amount_delta_fen": {id: delta}, "extra": n,
    "open_shop_uuid"?}``."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    try:
        ask = statement_ask(body)
    except ValueError as exc:
        return bad(str(exc))
    day, drop, deltas = ask.day, ask.drop, ask.deltas
    with sim.lock:
        rows = [
            r
            for r in live_records(sim, day)
            if r["requestid"] not in drop and r["receipt_code"] not in drop
        ]
        for row in rows:
            delta = int(deltas.get(row["receipt_code"], deltas.get(row["requestid"], 0)) or 0)
            row["deal_price"] = (yuan_to_fen(Decimal(str(row["deal_price"]))) + delta) / 100
        shop = _text(body, "open_shop_uuid") or "mt-shop-1"
        for n in range(ask.extra):
            rows.append(
                {
                    "order_id": sim.digits(16),
                    "receipt_code": sim.digits(10),
                    "deal_id": sim.digits(9),
                    "deal_title": "模拟多出的验券",
                    "deal_price": 100.0,
                    "open_shop_uuid": shop,
                    "payment_detail": [],
                    "requestid": f"sim-extra-{n + 1}-{secrets.token_hex(3)}",
                    "verify_time": f"{day.isoformat()} 12:00:00",
                    "verify_account": "",
                }
            )
        sim.statements[day.isoformat()] = rows
    return {"date": day.isoformat(), "records": rows}
