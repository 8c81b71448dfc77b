"""The Douyin simulator's page and product routes (see `simkit.page`, `simkit.products`)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from voucherbridge_sims.douyin.catalog import Product, order_body, parse_product
from voucherbridge_sims.douyin.cert_views import status_of
from voucherbridge_sims.douyin.flows import SHARE_BASE
from voucherbridge_sims.douyin.hooks import order_flow, refund_flow
from voucherbridge_sims.douyin.push import flush_webhooks
from voucherbridge_sims.douyin.state import CERT_STATUS, Certificate, JsonDict, SimState
from voucherbridge_sims.simkit.page import Call, CodeRow, OrderRow, PageModel, PageSpec, ProductRow
from voucherbridge_sims.simkit.page import yuan as yuan_text
from voucherbridge_sims.simkit.products import answer_of, products_router

ORDER_STATUS = {
    "paid": "已支付 / paid",
    "issuing": "发码中 / issuing",
    "issued": "已发码 / issued",
    "pending": "等待发码回调 / awaiting the issue callback",
    "issue_failed": "发码失败 / issue failed",
    "refunded": "已退款 / refunded",
}
KIND = {"platform": "平台券 platform code", "merchant": "三方码 merchant code"}
CALLS = {
    "/oauth/client_token/": "获取令牌 token",
    "/oauth/stable_client_token/": "获取令牌 token",
    "/goodlife/v1/fulfilment/certificate/prepare/": "验券准备 prepare",
    "/goodlife/v1/fulfilment/certificate/verify/": "验券 verify",
    "/goodlife/v1/fulfilment/certificate/cancel/": "撤销核销 cancel",
    "/goodlife/v1/fulfilment/certificate/get/": "券状态 get",
    "/goodlife/v1/fulfilment/certificate/query/": "券状态 query",
    "/goodlife/v1/fulfilment/certificate/verify_record/query/": "验券记录 records",
    "/goodlife/v1/settle/ledger/query/": "账单 ledger",
    "/goodlife/v1/shop/poi/query/": "门店查询 poi",
    "/goodlife/v1/fulfilment/create/callback/": "发券回调 issue callback",
    "/goodlife/v1/fulfilment/refund/audit/": "退款审核 refund audit",
}


async def buy(sim: SimState, product: Product, quantity: int, openid: str | None, base: str) -> Any:
    return await order_flow(sim, order_body(product, quantity, openid), base)


async def refund(sim: SimState, order_id: str, _: str) -> Any:
    """Refund the order's unused codes; Douyin tells our service at once (webhooks sent)."""
    result = await refund_flow(sim, {"order_id": order_id})
    if answer_of(result)[0] == 200:
        await flush(sim)
    return result


async def flush(sim: SimState) -> Any:
    return await run_in_threadpool(flush_webhooks, sim)


def cert_status(sim: SimState, cert: Certificate) -> str:
    status = status_of(sim, cert)
    if status == CERT_STATUS["used"]:
        return "已核销"
    if status == CERT_STATUS["refunded"]:
        return "已退款"
    if status == CERT_STATUS["expired"]:
        return "已过期"
    cancelled = any(
        v.certificate_id == cert.certificate_id and v.cancelled_at is not None
        for v in sim.verifications.values()
    )
    return "已撤销" if cancelled else "未使用"


def _product_row(p: Product) -> ProductRow:
    details = [KIND[p.code_type], f"售价 {yuan_text(p.pay_amount)}"]
    details.append(f"原价 {yuan_text(p.original_amount)}")
    if p.uses > 1:
        details.append(f"每份 {p.uses} 张 / {p.uses} codes each")
    if p.third_sku_id:
        details.append(f"third_sku_id {p.third_sku_id}")
    details += [f"门店 POI {', '.join(p.poi_ids)}", f"有效 {p.valid_days} 天"]
    return ProductRow(p.sku_id, p.title, details)


def model(sim: SimState, base_url: str) -> PageModel:
    with sim.lock:
        orders = []
        for order in reversed(list(sim.orders.values())):
            codes = []
            for cert_id in order.certificate_ids:
                cert = sim.certificates[cert_id]
                links = []
                if cert.short_id:
                    links.append((f"{SHARE_BASE}/{cert.short_id}/", f"/s/{cert.short_id}"))
                codes.append(CodeRow(cert.code, cert_status(sim, cert), links))
            details = [KIND[order.code_type], f"{order.count} × {yuan_text(order.pay_amount)}"]
            details.append(f"门店 POI {', '.join(order.poi_ids)}")
            if order.short_id:
                details.append(f"整单链接 / order link {SHARE_BASE}/{order.short_id}/")
            refundable = any(sim.certificates[c].status == "unused" for c in order.certificate_ids)
            status = ORDER_STATUS.get(order.status, order.status)
            orders.append(
                OrderRow(
                    order.order_id,
                    order.title,
                    order.created_at,
                    status,
                    details,
                    codes,
                    refundable,
                )
            )
        notes = []
        if sim.webhooks:
            notes.append(f"待推送通知 {len(sim.webhooks)} 条 / webhook messages queued")
        if not sim.config.target_base_url:
            notes.append(
                "未配置 SIM_TARGET_BASE_URL:三方码无法发码 / no target: merchant codes "
                "cannot be issued"
            )
        products = [_product_row(p) for p in sim.products.values()]
        return PageModel(products, orders, notes)


def _codes_of(sim: SimState, entry: JsonDict) -> list[str]:
    query = entry.get("query") or {}
    raw = entry.get("body")
    body: JsonDict = raw if isinstance(raw, dict) else {}
    with sim.lock:
        if query.get("code"):
            return [str(query["code"])]
        certs = list(sim.links.get(str(query.get("encrypted_data") or ""), []))
        encrypted = [query.get("encrypted_code"), *(body.get("encrypted_codes") or [])]
        certs += [
            sim.cert_by_enc[e] for e in encrypted if isinstance(e, str) and e in sim.cert_by_enc
        ]
        if body.get("certificate_id"):
            certs.append(str(body["certificate_id"]))
        found = [sim.certificates[c].code for c in certs if c in sim.certificates]
    return found + [str(c) for c in body.get("codes") or []]


def describe(sim: SimState, entry: JsonDict) -> Call:
    codes = _codes_of(sim, entry)
    answer = (entry.get("response") or {}).get("body")
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        result, ok = str(answer), False
    elif data.get("error_code") not in (0, None):
        result, ok = f"{data.get('error_code')} {data.get('description')}", False
    else:
        failed = [r for r in data.get("verify_results") or [] if r.get("result") != 0]
        ok = not failed
        result = "成功 / ok" if ok else "; ".join(f"{r['result']} {r.get('msg')}" for r in failed)
    label = CALLS.get(entry.get("path", ""), "调用 call")
    return Call(label, codes, result, ok)


PAGE = PageSpec(
    name="抖音来客",
    english="Douyin",
    platform="douyin",
    model=model,
    buy=buy,
    refund=refund,
    describe=describe,
    actions={"flush": ("发送待推送的通知 / deliver queued webhooks", flush)},
)
router = products_router("douyin", parse_product, buy)
