"""The guest's table page (`/wx/t/{token}`, the table QR): the table's open bill, the guest's
vouchers for this store (使用 prepares, 确认使用 redeems as the cashier would), and 微信支付 for
the rest. Without a consumer session of the table's merchant the phone signs in through WeChat
first and comes back here. Errors are the consumer's pages (never JSON, never a 500).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from voucherbridge.api.routes.wechatpay_hooks import NOTIFY_PATH
from voucherbridge.bootstrap import Container
from voucherbridge.core import csrf
from voucherbridge.counter.throttle import GuessLimits
from voucherbridge.counter.views import PrepareView
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE
from voucherbridge.selfpay import table_bill as guest
from voucherbridge.selfpay.payments import start_payment
from voucherbridge.web.consumer import session as consumer_session
from voucherbridge.web.consumer.routes import NO_STORE, ConsumerRoute
from voucherbridge.web.templating import render_page

router = APIRouter(include_in_schema=False, route_class=ConsumerRoute)
TokenPath = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, Form(max_length=200)]


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _limits(c: Container) -> GuessLimits:
    s = c.settings
    return GuessLimits(s.guess_limit_per_minute, s.guess_limit_per_store_per_minute)


def _base(request: Request) -> str:
    public = _container(request).settings.public_base_url
    return public.rstrip("/") if public else str(request.base_url).rstrip("/")


def _guest(request: Request, token: str) -> tuple[str | None, int]:
    """The signed-in guest's openid when their session is of the table's merchant."""
    merchant_id = guest.merchant_of_table(_container(request).uow, token)
    who = consumer_session.read_consumer(request)
    if who is None or who.merchant_id != merchant_id:
        return None, merchant_id
    return who.openid, merchant_id


def _render(request: Request, token: str, openid: str, status: int = 200, **extra: Any) -> Response:
    c = _container(request)
    view = guest.table_bill(c.uow, token=token, openid=openid, now=c.clock())
    pay = str(extra.pop("pay", "") or "")
    pay_url = _pay_sheet(request, view, openid, pay) if pay else ""
    ctx = {
        "token": token,
        "view": view,
        "nonce": secrets.token_urlsafe(16),
        "pay_url": pay_url,
        **extra,
    }
    response = render_page(request, "consumer/table.html", ctx, status)
    response.headers.update(NO_STORE)
    return response


@router.get("/wx/t/{token}")
def table_page(
    request: Request, token: TokenPath, use: str = "", paid: str = "", pay: str = ""
) -> Response:
    """The table's bill on the guest's phone (``?use=CODE``: what that voucher takes off;
    ``?pay=NO``: on to WeChat Pay for that order; ``?paid=NO``: back from it)."""
    openid, merchant_id = _guest(request, token)
    if openid is None:
        return consumer_session.sign_in_redirect(request, merchant_id, request.url.path)
    c = _container(request)
    prepared: PrepareView | None = None
    error: DomainError | None = None
    if use:
        try:
            prepared = guest.prepare_voucher(
                c.uow,
                c.platforms,
                token=token,
                openid=openid,
                code=use[:64],
                now=c.clock(),
                guess_limits=_limits(c),
            )
        except DomainError as exc:
            error = exc
    return _render(
        request, token, openid, prepared=prepared, error=error, paid=paid[:32], pay=pay[:32]
    )


def _same_origin(request: Request) -> None:
    if not csrf.is_same_origin(request.headers.get("origin"), request.headers.get("host")):
        raise DomainError(ErrorCode.FORBIDDEN)


@router.post("/wx/t/{token}/use")
async def use_voucher(
    request: Request, token: TokenPath, code: Text = "", nonce: Text = ""
) -> Response:
    """确认使用: redeem the guest's voucher on the bill (a second tap: the same redemption)."""
    _same_origin(request)
    openid, merchant_id = _guest(request, token)
    if openid is None:
        return consumer_session.sign_in_redirect(request, merchant_id, f"/wx/t/{token}")
    c = _container(request)
    try:
        outcome = await run_in_threadpool(
            lambda: guest.use_voucher(
                c.uow,
                c.platforms,
                token=token,
                openid=openid,
                code=code,
                nonce=nonce,
                now=c.clock(),
                reversal_windows=c.settings.reversal_windows(),
                guess_limits=_limits(c),
            )
        )
    except DomainError as exc:
        return _render(request, token, openid, CATALOGUE[exc.code].status, error=exc)
    used = outcome.body
    query = urlencode({"used": used.name, "off": used.discount_fen})
    return RedirectResponse(f"/wx/t/{token}?{query}", status_code=303)


@router.post("/wx/t/{token}/pay")
async def pay(request: Request, token: TokenPath) -> Response:
    """微信支付: a JSAPI order for what is due, then WeChat's pay sheet (the simulator's page;
    a real phone opens it with WeixinJSBridge), which comes back here."""
    _same_origin(request)
    openid, merchant_id = _guest(request, token)
    if openid is None:
        return consumer_session.sign_in_redirect(request, merchant_id, f"/wx/t/{token}")
    c = _container(request)
    try:
        _table, order_id = guest.open_bill_id(c.uow, token)
        started = await run_in_threadpool(
            lambda: start_payment(
                c.uow,
                c.wechatpay,
                merchant_id=merchant_id,
                order_id=order_id,
                openid=openid,
                notify_url=_base(request) + NOTIFY_PATH,
                now=c.clock(),
            )
        )
    except DomainError as exc:
        return _render(request, token, openid, CATALOGUE[exc.code].status, error=exc)
    # Back to our own page first: a form may only lead to our own origin (CSP form-action);
    # the page then opens WeChat Pay (a real phone: WeixinJSBridge with the prepay id).
    return RedirectResponse(f"/wx/t/{token}?pay={started.out_trade_no}", status_code=303)


def _pay_sheet(request: Request, view: guest.TableBill, openid: str, out_trade_no: str) -> str:
    """WeChat Pay's sheet for this guest's unpaid JSAPI order of the bill ("" for no such)."""
    mine = next(
        (
            p
            for p in view.payments
            if p.out_trade_no == out_trade_no and p.openid == openid and p.status == "created"
        ),
        None,
    )
    if mine is None or not mine.prepay_id:
        return ""
    back = f"{_base(request)}/wx/t/{view.table.token}?paid={mine.out_trade_no}"
    sheet = _container(request).wechatpay.pay_page_url(mine.prepay_id)
    return f"{sheet}&redirect={quote(back, safe='')}"
