"""The micro-mall simulator's page and product routes (see `simkit.page`, `simkit.products`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from voucherbridge_sims.simkit.page import Call, CodeRow, OrderRow, PageModel, PageSpec, ProductRow
from voucherbridge_sims.simkit.page import yuan as yuan_text
from voucherbridge_sims.simkit.products import products_router
from voucherbridge_sims.weimall.catalog import Product, parse_product, purchase_body
from voucherbridge_sims.weimall.hooks import purchase_flow, refund_flow
from voucherbridge_sims.weimall.state import JsonDict, SimState

ORDER_STATUS = {
    "pending": "推送中 / pushing",
    "issued": "已发码 / issued",
    "no_codes": "未返回券码 / no codes",
    "failed": "推送失败 / push failed",
    "refunded": "已退款 / refunded",
}
CALLS = {
    "/open/v1/ping": "连通测试 ping",
    "/open/v1/vouchers/redeemed": "核销同步 redeemed",
    "/open/v1/vouchers/reversed": "撤销同步 reversed",
    "/open/v1/settlements/query": "对账查询 settlements",
}


async def buy(sim: SimState, product: Product, quantity: int, openid: str | None, _: str) -> Any:
    return await purchase_flow(sim, purchase_body(product, quantity, openid))


async def refund(sim: SimState, order_id: str, _: str) -> Any:
    return await refund_flow(sim, {"order_no": order_id})


def code_status(sim: SimState, code: str) -> str:
    record = sim.codes.get(code)
    if record is None:
        return "未登记 / unknown"
    if record.status == "used":
        return "已核销"
    if record.status == "voided":
        return "已退款"
    reversed_ = any(r.code == code and r.reversed_at is not None for r in sim.redemptions.values())
    return "已撤销" if reversed_ else "未使用"


def model(sim: SimState, base_url: str) -> PageModel:
    with sim.lock:
        products = [
            ProductRow(
                p.coupon_id,
                p.title,
                [f"售价 {yuan_text(p.unit_price_fen)}"]
                + ([f"面值 {yuan_text(p.face_value_fen)}"] if p.face_value_fen is not None else [])
                + [f"门店 {p.store_id}"],
            )
            for p in sim.products.values()
        ]
        orders = []
        for order in reversed(list(sim.orders.values())):
            codes = [CodeRow(c, code_status(sim, c)) for c in order.codes]
            orders.append(
                OrderRow(
                    order.order_no,
                    order.title,
                    order.paid_at,
                    ORDER_STATUS.get(order.status, order.status),
                    [f"{order.quantity} × {yuan_text(order.unit_price_fen)}", order.mobile_masked],
                    codes,
                    any(sim.codes[c].status == "unused" for c in order.codes if c in sim.codes),
                )
            )
        ordered = {c for o in sim.orders.values() for c in o.codes}
        seeded: dict[str, list[CodeRow]] = {}
        for record in sim.codes.values():
            if record.code not in ordered:
                seeded.setdefault(record.order_no, []).append(
                    CodeRow(record.code, code_status(sim, record.code))
                )
        for order_no, rows in seeded.items():
            title = "直接登记的券码 / codes registered by hook"
            orders.append(OrderRow(order_no, title, None, "—", [], rows, False))
        return PageModel(products, orders)


def _payload(entry: JsonDict) -> JsonDict:
    body = entry.get("body")
    try:
        payload = json.loads(unquote(str(body.get("msg")))) if isinstance(body, dict) else {}
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def describe(sim: SimState, entry: JsonDict) -> Call:
    code = _payload(entry).get("code")
    return Call.enveloped(entry, CALLS, code, 0)


PAGE = PageSpec(
    name="微商城",
    english="Micro-mall",
    platform="weimall",
    model=model,
    buy=buy,
    refund=refund,
    describe=describe,
)
router = products_router("weimall", parse_product, buy)
