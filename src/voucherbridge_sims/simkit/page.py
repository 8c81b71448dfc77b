"""The page a merchant plays the platform's side on (``GET /``, Chinese with short English).

It shows what the platform sees: the products (with 购买), the orders and each code's status
(with 退款), the calls received from our service (codes masked but for the last four), the
pushes sent to it with its answers, and a switch that takes the platform down (an always-on
``http_503`` fault on every non-``/_sim/`` path, the ordinary fault mechanism) and brings it
back. Forms post to ``/_sim/page/...`` and are answered 303 back to the page, with what
happened in ``?msg=``. Server-rendered with jinja2, autoescaped; no script is needed
(``?refresh=5`` adds a <meta refresh>).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from voucherbridge_sims.simkit.hooks import get_sim
from voucherbridge_sims.simkit.products import Buy, answer_of, buy_product
from voucherbridge_sims.simkit.state import Fault, JsonDict, SimBase

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
SHOWN = 50  # newest calls and pushes on the page
_env = Environment(
    loader=PackageLoader("voucherbridge_sims.simkit", "templates"),
    autoescape=select_autoescape(default=True),
)


@dataclass
class CodeRow:
    code: str
    status: str  # 未使用 / 已核销 / 已撤销 / 已退款 / 已过期 ...
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)


@dataclass
class OrderRow:
    order_id: str
    title: str
    when: datetime | None
    status: str
    details: list[str]
    codes: list[CodeRow]
    refundable: bool


@dataclass
class ProductRow:
    product_id: str
    title: str
    details: list[str]


@dataclass
class PageModel:
    products: list[ProductRow]
    orders: list[OrderRow]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """How the page shows one call received from our service."""

    label: str
    codes: list[str]
    result: str
    ok: bool

    @classmethod
    def enveloped(cls, entry: JsonDict, labels: Mapping[str, str], code: Any, ok_code: int) -> Call:
        """A call answered in a ``{"code", "msg"}`` envelope whose success is `ok_code`."""
        answer = (entry.get("response") or {}).get("body")
        if isinstance(answer, dict) and answer.get("code") == ok_code:
            result, ok = "成功 / ok", True
        elif isinstance(answer, dict):
            result, ok = f"{answer.get('code')} {answer.get('msg')}", False
        else:
            result, ok = str(answer), False
        label = labels.get(entry.get("path", ""), "调用 call")
        return cls(label, [code] if isinstance(code, str) and code else [], result, ok)


@dataclass(frozen=True)
class PageSpec:
    """What one platform puts on the page; `refund` runs its refund flow for an order and
    `actions` are extra buttons (name -> (button text, what it runs))."""

    name: str
    english: str
    platform: str
    model: Callable[[Any, str], PageModel]
    buy: Buy
    refund: Callable[[Any, str, str], Awaitable[Any]]
    describe: Callable[[Any, JsonDict], Call]
    actions: Mapping[str, tuple[str, Callable[[Any], Awaitable[Any]]]] = field(default_factory=dict)
    pushes: bool = True


def yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def china_time(value: datetime | str | None) -> str:
    if value is None:
        return ""
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    return when.astimezone(CHINA).strftime("%m-%d %H:%M:%S")


def mask(code: str | None) -> str:
    """All but the last four characters hidden (a call log is not where codes are read)."""
    if not code:
        return ""
    return "*" * max(len(code) - 4, 4) + code[-4:] if len(code) > 4 else "****"


def is_down(fault: Fault) -> bool:
    return fault.path == "*" and fault.kind == "http_503" and fault.count is None


def platform_down(sim: SimBase) -> bool:
    with sim.lock:
        return any(is_down(f) for f in sim.faults)


def set_down(sim: SimBase, down: bool) -> None:
    with sim.lock:
        sim.faults = [f for f in sim.faults if not is_down(f)]
        if down:
            sim.faults.append(Fault("*", "http_503", None, sim.default_biz_code, 0.0))


def summary(status: int, answer: Any) -> str:
    """One line about what a flow answered, for the page's message."""
    if status != 200 or not isinstance(answer, dict):
        error = answer.get("error") if isinstance(answer, dict) else answer
        return f"失败 / failed: {error}"
    parts = []
    order = answer.get("order_id") or answer.get("order_no")
    if order:
        parts.append(f"订单 / order {order}")
    codes = [c.get("code") if isinstance(c, dict) else c for c in answer.get("codes") or []]
    if codes:
        parts.append("券码 / codes " + ", ".join(str(c) for c in codes))
    for key, label in (("refunded", "已退款"), ("voided", "已作废"), ("delivered", "已送达")):
        if answer.get(key):
            value = answer[key]
            parts.append(f"{label} {', '.join(value) if isinstance(value, list) else value}")
    if answer.get("status"):
        parts.append(f"状态 / status {answer['status']}")
    return "完成 / done: " + ("; ".join(parts) or "ok")


def _push_row(entry: JsonDict) -> JsonDict:
    if entry.get("ok"):
        result, ok = "我们已接收 / accepted", True
    elif entry.get("error"):
        result, ok = f"未送达 / not delivered: {entry['error']}", False
    else:
        result, ok = f"被拒绝 / refused: HTTP {entry.get('status_code')}", False
    answer = entry.get("answer")
    text = json.dumps(answer, ensure_ascii=False) if answer is not None else ""
    return {
        "at": china_time(entry.get("at")),
        "label": entry.get("type") or entry.get("name") or entry.get("kind") or "",
        "attempt": entry.get("send_count") or entry.get("attempt") or 1,
        "url": entry.get("url", ""),
        "result": result,
        "ok": ok,
        "answer": text[:300],
    }


def _call_row(spec: PageSpec, sim: Any, entry: JsonDict) -> JsonDict:
    call = spec.describe(sim, entry)
    result, ok = call.result, call.ok
    if entry.get("fault"):
        result, ok = f"模拟故障 / simulated fault: {entry['fault']}", False
    elif entry.get("response") is None:
        result, ok = "无应答 / no answer", False
    return {
        "at": china_time(entry.get("at")),
        "method": entry.get("method", ""),
        "path": entry.get("path", ""),
        "label": call.label,
        "code": ", ".join(mask(c) for c in call.codes),
        "result": result,
        "ok": ok,
    }


def render(spec: PageSpec, sim: Any, base_url: str, message: str, refresh: int) -> str:
    model = spec.model(sim, base_url)
    with sim.lock:
        requests = list(sim.requests)[-SHOWN:]
        pushes = list(sim.pushes)[-SHOWN:]
    return _env.get_template("page.html").render(
        spec=spec,
        model=model,
        down=platform_down(sim),
        message=message,
        refresh=refresh,
        calls=[_call_row(spec, sim, e) for e in reversed(requests)],
        pushes=[_push_row(e) for e in reversed(pushes)],
        now=china_time(sim.clock.now()),
        china_time=china_time,
    )


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _back(message: str) -> RedirectResponse:
    return RedirectResponse("/?" + urlencode({"msg": message}), status_code=303)


def page_router(spec: PageSpec) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    async def page(request: Request, msg: str = "", refresh: int = 0) -> HTMLResponse:
        """The platform's page (Chinese, short English)."""
        base = str(request.base_url).rstrip("/")
        return HTMLResponse(render(spec, get_sim(request), base, msg, max(0, refresh)))

    @router.post("/_sim/page/buy")
    async def buy(request: Request) -> RedirectResponse:
        form = await _form(request)
        try:
            body: JsonDict = {"quantity": int(form.get("quantity") or "1")}
        except ValueError:
            return _back("购买 / buy 失败 / failed: 数量须为整数 quantity must be an integer")
        if form.get("openid"):
            body["openid"] = form["openid"]
        sim = get_sim(request)
        result = await buy_product(request, sim, form.get("product_id", ""), body, spec.buy)
        return _back("购买 / buy " + summary(*answer_of(result)))

    @router.post("/_sim/page/refund")
    async def refund(request: Request) -> RedirectResponse:
        form = await _form(request)
        base = str(request.base_url).rstrip("/")
        result = await spec.refund(get_sim(request), form.get("order_id", ""), base)
        return _back("退款 / refund " + summary(*answer_of(result)))

    @router.post("/_sim/page/platform")
    async def platform(request: Request) -> RedirectResponse:
        down = (await _form(request)).get("down") == "1"
        set_down(get_sim(request), down)
        return _back("平台已停机(模拟故障)" if down else "平台已恢复 / platform back up")

    @router.post("/_sim/page/action/{name}")
    async def action(name: str, request: Request) -> RedirectResponse:
        if name not in spec.actions:
            return _back(f"失败 / failed: unknown action {name}")
        label, run = spec.actions[name]
        return _back(f"{label} " + summary(*answer_of(await run(get_sim(request)))))

    return router
