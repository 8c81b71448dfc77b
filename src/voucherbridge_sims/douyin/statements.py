"""Reconciliation endpoints of the Douyin simulator: verify records and daily statements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.douyin.cert_views import amount_view, can_cancel, sku_view
from voucherbridge_sims.douyin.state import JsonDict, SimState

router = APIRouter()
CST = timezone(timedelta(hours=8), "Asia/Shanghai")  # statements are cut by China days


def _int_param(request: Request, name: str, default: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        return None


@router.get("/goodlife/v1/fulfilment/certificate/verify_record/query/")
async def verify_records(request: Request) -> JSONResponse:
    """验券历史查询: verifications (cancelled ones with status 2), oldest first, by cursor."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    cursor, size = _int_param(request, "cursor", 0), _int_param(request, "size", 10)
    start, end = _int_param(request, "start_time", 0), _int_param(request, "end_time", 2**62)
    if cursor is None or size is None or start is None or end is None or not 1 <= size <= 20:
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: cursor, size(1-20), start_time, end_time")
    pois = {p for raw in request.query_params.getlist("poi_ids") for p in raw.split(",") if p}
    with sim.lock:
        matching = [
            v
            for v in sorted(sim.verifications.values(), key=lambda v: v.seq)
            if (not pois or v.poi_id in pois) and start <= v.verify_time.timestamp() <= end
        ]
        page = [v for v in matching if v.seq > cursor][:size]
        records = []
        for v in page:
            cert = sim.certificates[v.certificate_id]
            order = sim.orders[v.order_id]
            records.append(
                {
                    "cursor": str(v.seq),
                    "verify_id": v.verify_id,
                    "certificate_id": v.certificate_id,
                    "encrypted_code": cert.encrypted_code,
                    "code": v.code,
                    "order_id": v.order_id,
                    "poi_id": v.poi_id,
                    "account_id": sim.config.account_id,
                    "verify_type": v.verify_type,
                    "verify_time": int(v.verify_time.timestamp()),
                    "can_cancel": can_cancel(sim, v),
                    "status": 2 if v.cancelled_at else 1,
                    "cancel_time": int(v.cancelled_at.timestamp()) if v.cancelled_at else 0,
                    "amount": amount_view(order),
                    "sku": sku_view(sim, order),
                }
            )
        last = page[-1].seq if page else cursor
        has_more = any(v.seq > last for v in matching)
        return w.ok(
            sim,
            records=records,
            records_v2=records,
            total=len(matching),
            cursor=str(last),
            has_more=has_more,
        )


def parse_day(raw: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=CST).date()
        except ValueError:
            continue
    return None


def ledger_line(sim: SimState, verify_id: str) -> JsonDict:
    """One statement line for a verification; amounts in fen."""
    v = sim.verifications[verify_id]
    order = sim.orders[v.order_id]
    fee = order.pay_amount * sim.config.commission_bp // 10_000
    return {
        "id": "L" + v.verify_id,
        "ledger_id": "L" + v.verify_id,
        "account_id": sim.config.account_id,
        "poi_id": v.poi_id,
        "order_id": v.order_id,
        "verify_id": v.verify_id,
        "verify_time": int(v.verify_time.timestamp()),
        "certificate": {"certificate_id": v.certificate_id, "code": v.code},
        "status": 1,
        "ledger_time": int(v.verify_time.timestamp()) + 86_400,
        "amount": {
            "original": order.original_amount,
            "pay": order.pay_amount,
            "coupon_pay": order.pay_amount,
            "ledger_total": order.pay_amount,
            "goods": order.pay_amount - fee,
            "total_merchant_platform_service": fee,
            "pay_discount": 0,
            "merchant_ticket": 0,
            "platform_ticket": 0,
        },
        "goods": {
            "sku_id": order.sku_id,
            "group_name": order.title,
            "sold_start_time": int(order.created_at.timestamp()),
        },
    }


def build_statement(
    sim: SimState,
    day: date,
    drop: list[str] | None = None,
    amount_delta_fen: dict[str, int] | None = None,
    extra: int = 0,
) -> list[JsonDict]:
    """Lines for the non-cancelled verifications of a China day, then the test's distortions.

    ``drop`` and ``amount_delta_fen`` keys match a line's verify_id, certificate_id or code; a
    delta is added to every money field of the line; ``extra`` adds lines we never verified.
    """
    start = datetime.combine(day, time(0), tzinfo=CST)
    end = start + timedelta(days=1)
    dropped, deltas = set(drop or []), amount_delta_fen or {}
    lines = []
    with sim.lock:
        for v in sorted(sim.verifications.values(), key=lambda v: v.seq):
            if v.cancelled_at is not None or not start <= v.verify_time < end:
                continue
            keys = {v.verify_id, v.certificate_id, v.code}
            if keys & dropped:
                continue
            line = ledger_line(sim, v.verify_id)
            delta = sum(d for k, d in deltas.items() if k in keys)
            for name in ("original", "pay", "coupon_pay", "ledger_total", "goods"):
                line["amount"][name] += delta
            lines.append(line)
        for n in range(extra):
            fake_id = sim.mint_id()
            amount = {"original": 1000, "pay": 1000, "coupon_pay": 1000, "ledger_total": 1000}
            lines.append(
                {
                    "id": f"Lextra{n + 1}",
                    "ledger_id": f"Lextra{n + 1}",
                    "account_id": sim.config.account_id,
                    "poi_id": next(iter(sim.pois), "0"),
                    "order_id": sim.mint_id(),
                    "verify_id": fake_id,
                    "verify_time": int(start.timestamp()) + 43_200,
                    "certificate": {"certificate_id": sim.mint_id(), "code": sim.mint_digits(15)},
                    "status": 1,
                    "ledger_time": int(end.timestamp()) + 43_200,
                    "amount": {**amount, "goods": 1000, "total_merchant_platform_service": 0},
                    "goods": {"sku_id": "0", "group_name": "未知团购", "sold_start_time": 0},
                }
            )
    return lines


@router.get("/goodlife/v1/settle/ledger/query/")
async def ledger_query(request: Request) -> JSONResponse:
    """账单查询 by ``bill_date``: the statement built by /_sim/statement (else a faithful one)."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    day = parse_day(request.query_params.get("bill_date", ""))
    cursor, size = _int_param(request, "cursor", 0), _int_param(request, "size", 10)
    if day is None or cursor is None or size is None or not 1 <= size <= 50:
        return w.fail(sim, w.PARAM_ERROR, "参数不合法: bill_date, cursor, size(1-50)")
    with sim.lock:
        lines = sim.statements.get(day.isoformat())
        if lines is None:
            lines = build_statement(sim, day)
        page = lines[cursor : cursor + size]
        next_cursor = cursor + len(page)
        return w.ok(
            sim,
            ledger_records=page,
            cursor=str(next_cursor),
            has_more=next_cursor < len(lines),
            total=len(lines),
        )
