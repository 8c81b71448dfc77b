"""Console sessions: the bearer token in an HttpOnly cookie, CSRF on every form, HTML errors.

The console router uses `ConsoleRoute`, so a missing login turns into a redirect to the login
page and a refused action into a plain-words HTML page, never the JSON API's error bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core import csrf
from voucherbridge.core.actor import Actor
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE
from voucherbridge.reports.archive import EVENT_NAMES
from voucherbridge.web.templating import render_page

# Stored values shown to people: the Chinese label is the msgid English translations key on.
LABELS = {
    "weimall": "微商城",
    "douyin": "抖音",
    "meituan": "美团",
    "direct": "本店直售",
    "cash": "代金券",
    "item": "实物券",
    "deduction": "抵扣券",
    "combo": "套餐券",
    "issued": "已发放",
    "redeemed": "已核销",
    "reversed": "已反结账退券",
    "voided": "已退款作废",
    "expired": "已过期",
    "pending": "待投递",
    "inflight": "投递中",
    "delivered": "已投递",
    "dead": "投递失败",
    "skipped": "无需投递",
}
# Form fields as the page labels them, so "请求内容有误: face_value_fen" reads "…: 面值(元)".
FIELD_LABELS = {
    "name": "名称",
    "brand": "品牌",
    "address": "地址",
    "item_code": "菜品编码",
    "unit": "单位",
    "unit_price_fen": "单价(元)",
    "store_id": "门店",
    "kind": "类型",
    "face_value_fen": "面值(元)",
    "price_fen": "售价(元)",
    "package_price_fen": "套餐价(元)",
    "min_spend_fen": "最低消费(元)",
    "item_codes": "适用菜品",
    "store_ids": "适用门店",
    "validity_mode": "有效期",
    "valid_from": "开始日期",
    "valid_to": "结束日期",
    "valid_days": "天数",
    "weekdays": "使用时间",
    "time_windows": "时段",
    "per_order_limit": "每单限用张数",
    "template_id": "券模板",
    "platform": "平台",
    "code_type": "券码类型",
    "title": "标题",
    "platform_product_id": "平台商品 id",
    "reversal_window_minutes": "反结账退券时限",
    "platform_store_id": "平台门店 id",
    "secret": "密钥",
}
COOKIE = "vb_console"
COOKIE_PATH = "/console"


class LoginRequired(Exception):
    """No valid session: send the browser to the login page, then back here."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    """A form came without this session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Session:
    container: Container
    actor: Actor
    token: str
    csrf: str

    def page(
        self, request: Request, template: str, ctx: dict[str, Any] | None = None, status: int = 200
    ) -> Response:
        """Render a console page with what every page needs (user, CSRF token, nav)."""
        base = {
            "actor": self.actor,
            "csrf": self.csrf,
            "nav": request.url.path,
            "labels": LABELS,
            "event_names": EVENT_NAMES,
            "field_labels": FIELD_LABELS,
            "relabel": relabel,
        }
        return render_page(request, template, {**base, **(ctx or {})}, status)


def relabel(error: DomainError, label: str) -> DomainError:
    """The same catalogue error, naming the field by its label on the page."""
    return DomainError(error.code, **{**error.params, "field": label})


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_session(request: Request) -> Session:
    """The logged-in console user, or a redirect to /console/login?next=<this page>."""
    container = get_container(request)
    token = request.cookies.get(COOKIE)
    try:
        actor = auth.resolve_admin(container.uow(), token, container.clock())
    except DomainError as exc:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target) from exc
    assert token is not None
    return Session(container, actor, token, csrf.token_for(container.settings.secret_key, token))


SessionDep = Annotated[Session, Depends(get_session)]


async def get_form(request: Request, session: SessionDep) -> dict[str, list[str]]:
    """The posted form, refused unless it carries this session's CSRF token."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if "\x00" in value:  # PostgreSQL text cannot hold NUL; no person types one
                raise DomainError(ErrorCode.VALIDATION_ERROR, field=key)
            values.setdefault(key, []).append(value)
    if not csrf.is_valid(session.container.settings.secret_key, session.token, one(values, "csrf")):
        raise CsrfRefused()
    return values


FormDep = Annotated[dict[str, list[str]], Depends(get_form)]


def one(form: dict[str, list[str]], key: str, default: str = "") -> str:
    """A single text field of a posted form."""
    return (form.get(key) or [default])[0]


def safe_next(target: str | None) -> str:
    """Only our own console pages: never an open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


def error_page(
    request: Request, error: DomainError | None, status: int, message: str = ""
) -> Response:
    """A page in plain words; `message` is a Chinese msgid used when there is no DomainError."""
    ctx = {"error": error, "status": status, "message": message}
    return render_page(request, "console/error.html", ctx, status)


class ConsoleRoute(APIRoute):
    """Turns the console's exceptions into pages: login redirect, 403/404 pages, no JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if "\x00" in request.url.query or "%00" in request.url.query:
                return error_page(request, DomainError(ErrorCode.VALIDATION_ERROR, field="q"), 400)
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(
                    f"/console/login?next={quote(exc.next_url, safe='')}", status_code=303
                )
            except CsrfRefused:
                return error_page(request, None, 403, "表单已过期或来源不明,请刷新页面后重试")
            except RequestValidationError:
                # Only path parameters are typed (ids): junk in them names nothing we have.
                return error_page(request, None, 404, "页面不存在")
            except DomainError as exc:
                return error_page(request, exc, CATALOGUE[exc.code].status)

        return guarded


IdPath = Annotated[int, Path(ge=1, le=2**62)]


def typed(form: dict[str, list[str]], *hidden: str) -> dict[str, str]:
    """The fields as typed, to show a refused form again (never the CSRF token or a secret)."""
    skip = {"csrf", *hidden}
    return {k: v[0] for k, v in form.items() if v and k not in skip}
