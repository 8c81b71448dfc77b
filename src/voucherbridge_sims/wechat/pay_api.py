"""WeChat Pay v3 routes of the simulator: ``POST /v3/pay/transactions/jsapi`` (signed by the
merchant's key, checked here), ``GET /v3/pay/transactions/out-trade-no/{no}``, the pay sheet
``/_sim/wechatpay/pay?prepay_id=`` with 确认支付, and test hooks under ``/_sim/wechatpay/``:
the credentials our service is configured with, the orders, paying without the page, and
replaying a notify (optionally with a field changed, still correctly signed)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from anyio import to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from voucherbridge_sims.simkit.hooks import bad, get_sim, read_json
from voucherbridge_sims.wechat import pay_crypto
from voucherbridge_sims.wechat.pay_state import PayBook, PayOrder
from voucherbridge_sims.wechat.state import SimState

router = APIRouter()
JSAPI = "/v3/pay/transactions/jsapi"
TOLERANCE_S = 300
TRADE_NO = re.compile(r"^[A-Za-z0-9_\-|*]{6,32}$")
_env = Environment(
    loader=PackageLoader("voucherbridge_sims.wechat", "templates"),
    autoescape=select_autoescape(default=True),
)
PAGE = _env.get_template("pay.html")


def book(request: Request) -> PayBook:
    pay: PayBook = request.app.state.pay
    return pay


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _signed(pay: PayBook, status: int, data: dict[str, Any]) -> Response:
    """An answer signed with the platform's key, as every WeChat Pay v3 answer is."""
    body = json.dumps(data, ensure_ascii=False)
    headers = pay_crypto.signed_headers(pay.keys, pay.sim.clock.now_s(), body)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _check_signature(request: Request, pay: PayBook, body: str) -> JSONResponse | None:
    fields = pay_crypto.authorization_fields(request.headers.get("authorization", ""))
    if fields is None:
        return _error(401, "SIGN_ERROR", "Authorization 不是 WECHATPAY2-SHA256-RSA2048")
    if fields.get("mchid") != pay.keys.mchid:
        return _error(401, "SIGN_ERROR", "商户号与签名不符")
    if fields.get("serial_no") != pay.keys.merchant_serial:
        return _error(401, "SIGN_ERROR", "证书序列号不正确")
    try:
        stamp = int(fields.get("timestamp", ""))
    except ValueError:
        return _error(401, "SIGN_ERROR", "timestamp 无效")
    if abs(pay.sim.clock.now_s() - stamp) > TOLERANCE_S:
        return _error(401, "SIGN_ERROR", "请求时间戳已过期")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    message = pay_crypto.request_message(
        request.method, path, str(stamp), fields.get("nonce_str", ""), body
    )
    if not pay_crypto.verify(pay.merchant_public, message, fields.get("signature", "")):
        return _error(401, "SIGN_ERROR", "签名错误")
    return None


def _jsapi_ask(raw: Any, pay: PayBook) -> dict[str, Any] | str:
    """The order fields, or what is wrong with them (PARAM_ERROR)."""
    if not isinstance(raw, dict):
        return "请求体不是 JSON 对象"
    amount, payer = raw.get("amount"), raw.get("payer")
    if not isinstance(amount, dict) or not isinstance(payer, dict):
        return "缺少 amount 或 payer"
    total = amount.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        return "amount.total 须为正整数(分)"
    if amount.get("currency", "CNY") != "CNY":
        return "amount.currency 只支持 CNY"
    for name in ("appid", "mchid", "description", "out_trade_no", "notify_url"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            return f"缺少 {name}"
    if raw["mchid"] != pay.keys.mchid:
        return "mchid 与请求的商户号不一致"
    if not TRADE_NO.match(raw["out_trade_no"]):
        return "out_trade_no 须为 6-32 位字母、数字或 _-|*"
    if urlsplit(raw["notify_url"]).scheme not in ("http", "https"):
        return "notify_url 须为 http(s) 地址"
    if not isinstance(payer.get("openid"), str) or not payer["openid"]:
        return "缺少 payer.openid"
    return {
        "appid": raw["appid"],
        "mchid": raw["mchid"],
        "description": raw["description"][:127],
        "out_trade_no": raw["out_trade_no"],
        "notify_url": raw["notify_url"],
        "total": total,
        "currency": "CNY",
        "openid": payer["openid"],
    }


@router.post(JSAPI)
async def jsapi(request: Request) -> Response:
    """JSAPI 下单: ``{prepay_id}`` for a signed order."""
    pay = book(request)
    body = (await request.body()).decode("utf-8", errors="replace")
    refused = _check_signature(request, pay, body)
    if refused is not None:
        return refused
    try:
        raw = json.loads(body or "null")
    except ValueError:
        return _error(400, "PARAM_ERROR", "请求体不是 JSON")
    ask = _jsapi_ask(raw, pay)
    if isinstance(ask, str):
        return _error(400, "PARAM_ERROR", ask)
    order, problem = pay.place(ask)
    if order is None:
        words = {"ORDERPAID": "该订单已支付", "OUT_TRADE_NO_USED": "商户订单号重复"}
        return _error(403 if problem == "ORDERPAID" else 400, problem, words[problem])
    return _signed(pay, 200, {"prepay_id": order.prepay_id})


def _transaction(order: PayOrder) -> dict[str, Any]:
    return {
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id or None,
        "trade_type": "JSAPI",
        "trade_state": order.trade_state,
        "amount": {"total": order.total, "currency": "CNY"},
        "payer": {"openid": order.openid},
    }


@router.get("/v3/pay/transactions/out-trade-no/{out_trade_no}")
async def query(request: Request, out_trade_no: str, mchid: str = "") -> Response:
    """查询订单 by out_trade_no (signed like every v3 call)."""
    pay = book(request)
    refused = _check_signature(request, pay, "")
    if refused is not None:
        return refused
    order = pay.by_trade_no(out_trade_no)
    if order is None or mchid != order.mchid:
        return _error(404, "ORDER_NOT_EXIST", "订单不存在")
    return _signed(pay, 200, _transaction(order))


def _page(order: PayOrder | None, redirect: str) -> HTMLResponse:
    yuan = f"{order.total // 100}.{order.total % 100:02d}" if order else ""
    return HTMLResponse(PAGE.render(order=order, yuan=yuan, redirect=_local(redirect)))


def _local(redirect: str) -> str:
    """Back to the merchant's page only on an http(s) address (no script: URLs)."""
    return redirect if urlsplit(redirect).scheme in ("http", "https") else ""


@router.get("/_sim/wechatpay/pay", response_class=HTMLResponse)
async def pay_sheet(request: Request, prepay_id: str = "", redirect: str = "") -> HTMLResponse:
    """The pay sheet WeixinJSBridge would show: the amount and 确认支付."""
    return _page(book(request).orders.get(prepay_id), redirect)


@router.post("/_sim/wechatpay/pay", response_model=None)
def confirm(
    request: Request,
    prepay_id: Annotated[str, Form()] = "",
    redirect: Annotated[str, Form()] = "",
) -> Response:
    """确认支付: the order is paid and its notify goes to the merchant."""
    order = book(request).pay(prepay_id)
    if order is not None and _local(redirect):
        return RedirectResponse(_local(redirect), status_code=303)
    return _page(order, redirect)


@router.get("/_sim/wechatpay/credentials")
async def credentials(request: Request) -> JSONResponse:
    """The merchant account's keys, for our service's VOUCHERBRIDGE_WECHATPAY_* settings."""
    sim: SimState = get_sim(request)
    return JSONResponse(book(request).credentials(sim.config.appid))


@router.get("/_sim/wechatpay/orders")
async def orders(request: Request) -> JSONResponse:
    pay = book(request)
    with pay.sim.lock:
        return JSONResponse([o.view() for o in pay.orders.values()])


@router.post("/_sim/wechatpay/pay-now")
def pay_now(request: Request, body: dict[str, Any]) -> Response:
    """``{"prepay_id"}`` or ``{"out_trade_no"}``: pay without the page (tests)."""
    pay = book(request)
    prepay = body.get("prepay_id")
    if not prepay and body.get("out_trade_no"):
        found = pay.by_trade_no(str(body["out_trade_no"]))
        prepay = found.prepay_id if found else None
    order = pay.pay(str(prepay or ""))
    if order is None:
        return bad("unknown order", 404)
    return JSONResponse(order.view())


@router.post("/_sim/wechatpay/replay")
async def replay(request: Request) -> Response:
    """``{"out_trade_no", "override"?: {"amount_total"|"mchid"|"out_trade_no": …},
    "notify_url"?}``: send the order's notify once more, signed afresh (with `override`, a
    new, equally valid notify whose plaintext says something else; with `notify_url`, to that
    address instead of the order's). Answers the recorded attempt."""
    pay = book(request)
    body = await read_json(request) or {}
    order = pay.by_trade_no(str(body.get("out_trade_no") or ""))
    if order is None or order.trade_state != "SUCCESS":
        return bad("no paid order with that out_trade_no", 404)
    override = body.get("override") or {}
    if not isinstance(override, dict):
        return bad("override must be an object")
    content = pay.notify_body(order, **override) if override else order.notify_body
    to = str(body.get("notify_url") or "") or None
    entry = await to_thread.run_sync(
        lambda: pay.send_notify(order, retry=False, body=content, url=to)
    )
    return JSONResponse(entry)
