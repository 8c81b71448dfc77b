"""The Meituan simulator's page and product routes (see `simkit.page`, `simkit.products`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from voucherbridge_sims.meituan.catalog import Product, parse_product, receipts_body
from voucherbridge_sims.meituan.hooks import buy_flow, refund_flow
from voucherbridge_sims.meituan.state import JsonDict, Receipt, SimState
from voucherbridge_sims.simkit.page import Call, CodeRow, OrderRow, PageModel, PageSpec, ProductRow
from voucherbridge_sims.simkit.page import yuan as yuan_text
from voucherbridge_sims.simkit.products import products_router

CALLS = {
    "/router/oauth/token": "授权令牌 token",
    "/router/oauth/session/scope": "授权门店 scope",
    "/router/tuangou/receipt/prepare": "验券校验 prepare",
    "/router/tuangou/receipt/scanprepare": "扫码校验 scan prepare",
    "/router/tuangou/receipt/consume": "验券 consume",
    "/router/tuangou/receipt/reverseconsume": "撤销验券 reverse",
    "/router/tuangou/receipt/getconsumed": "验券记录 get consumed",
    "/router/tuangou/receipt/querylistbydate": "对账 query by date",
}


async def buy(sim: SimState, product: Product, quantity: int, _openid: str | None, _: str) -> Any:
    return buy_flow(sim, receipts_body(product, quantity))


async def refund(sim: SimState, order_id: str, _: str) -> Any:
    return refund_flow(sim, {"order_id": order_id})


def receipt_status(sim: SimState, receipt: Receipt) -> str:
    if receipt.status == "refunded":
        return "已退款"
    if receipt.status == "used":
        return "已核销"
    if sim.clock.now() >= sim.orders[receipt.order_id].end_at:
        return "已过期"
    reversed_ = any(
        c.receipt_code == receipt.receipt_code and c.reversed_at is not None for c in sim.consumes
    )
    return "已撤销" if reversed_ else "未使用"


def model(sim: SimState, base_url: str) -> PageModel:
    with sim.lock:
        products = [
            ProductRow(
                p.deal_id,
                p.title,
                [
                    f"售价 {yuan_text(p.price_fen)}",
                    f"门市价 {yuan_text(p.market_price_fen)}",
                    f"门店 {', '.join(p.open_shop_uuids)}",
                    f"有效 {p.valid_days} 天",
                    f"{p.code_length} 位券码",
                ],
            )
            for p in sim.products.values()
        ]
        orders = []
        for order in reversed(list(sim.orders.values())):
            receipts = [sim.receipts[c] for c in order.codes]
            expired = sim.clock.now() >= order.end_at
            orders.append(
                OrderRow(
                    order.order_id,
                    order.title,
                    order.created_at,
                    "已过期 / expired" if expired else "已支付 / paid",
                    [
                        f"{len(receipts)} × {yuan_text(order.price_fen)}",
                        f"门店 {', '.join(order.shop_ids)}",
                        f"deal {order.deal_id}",
                    ],
                    [CodeRow(r.receipt_code, receipt_status(sim, r)) for r in receipts],
                    any(r.status == "unused" for r in receipts),
                )
            )
        return PageModel(products, orders)


def describe(sim: SimState, entry: JsonDict) -> Call:
    params = {**(entry.get("query") or {})}
    params.update(parse_qsl(str(entry.get("raw_body") or ""), keep_blank_values=True))
    code = params.get("receipt_code")
    return Call.enveloped(entry, CALLS, code, 200)


PAGE = PageSpec(
    name="美团/大众点评",
    english="Meituan / Dianping",
    platform="meituan",
    model=model,
    buy=buy,
    refund=refund,
    describe=describe,
    pushes=False,
)
router = products_router("meituan", parse_product, buy)
