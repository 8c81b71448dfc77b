"""The consumer's pages on the phone: WeChat sign-in's callback, 我的优惠 and one voucher's QR.

`/wx/{merchant_id}/vouchers` lists the codes bought for the signed-in openid at that merchant;
`/wx/{merchant_id}/vouchers/{code}` shows one with its QR code. Without a session for this
merchant the phone goes through WeChat's authorize page first (session.sign_in_redirect) and
comes back to the page it asked for. Someone else's code, another merchant's and an unknown
code are the same 404. Errors are pages in plain words with the catalogue's code, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from voucherbridge.bootstrap import Container
from voucherbridge.consumer import vouchers
from voucherbridge.consumer.wechat_oauth import WeChatOAuth
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE
from voucherbridge.web.consumer import session as consumer_session
from voucherbridge.web.consumer.qr import grouped, qr_svg
from voucherbridge.web.templating import render_page

IdPath = Annotated[int, Path(ge=1, le=2**62)]
CodePath = Annotated[str, Path(min_length=1, max_length=64)]
NO_STORE = {"cache-control": "no-store"}  # a phone's back button must not show another's codes


def error_page(request: Request, error: DomainError, status: int | None = None) -> Response:
    status = status or CATALOGUE[error.code].status
    response = render_page(
        request, "consumer/error.html", {"error": error, "status": status}, status
    )
    response.headers.update(NO_STORE)
    return response


class ConsumerRoute(APIRoute):
    """Domain errors and junk in the path become the consumer's error page, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if "\x00" in request.url.query or "%00" in request.url.query:
                return error_page(request, DomainError(ErrorCode.VALIDATION_ERROR, field="q"), 400)
            try:
                return await handler(request)
            except RequestValidationError:
                return error_page(request, DomainError(ErrorCode.VOUCHER_NOT_FOUND), 404)
            except DomainError as exc:
                return error_page(request, exc)

        return guarded


router = APIRouter(include_in_schema=False, route_class=ConsumerRoute)


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _oauth(container: Container) -> WeChatOAuth:
    s = container.settings
    return WeChatOAuth(
        base_url=s.wechat_base_url,
        appid=s.wechat_appid,
        secret=s.wechat_secret,
        timeout_s=s.platform_timeout_s,
    )


@router.get("/wx/oauth/callback")
def oauth_callback(request: Request, code: str = "", state: str = "") -> Response:
    """WeChat sends the phone back here: check the state is ours and this browser's, trade the
    code for the openid, set the session and land on the page that asked for it."""
    flow = consumer_session.read_flow(request, state)
    if flow is None:
        return error_page(request, DomainError(ErrorCode.CONSUMER_SIGN_IN_INVALID))
    c = _container(request)
    if vouchers.consumer_merchant(c.uow(), flow.merchant_id) is None:
        return error_page(request, DomainError(ErrorCode.NOT_FOUND, what="merchant"), 404)
    openid = _oauth(c).openid_for(code)  # DomainError: used/expired code, WeChat down
    landing = consumer_session.safe_local_path(
        flow.next_path, consumer_session.vouchers_path(flow.merchant_id)
    )
    response = RedirectResponse(landing, status_code=303)
    consumer_session.signed_in(
        request, response, consumer_session.ConsumerSession(flow.merchant_id, openid)
    )
    return response


def _signed_in(
    request: Request, merchant_id: int
) -> tuple[consumer_session.ConsumerSession | None, str]:
    c = _container(request)
    shop = vouchers.consumer_merchant(c.uow(), merchant_id)
    if shop is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="merchant")
    who = consumer_session.read_consumer(request)
    if who is None or who.merchant_id != merchant_id:
        return None, shop
    return who, shop


def _here(request: Request) -> str:
    return request.url.path


def _page(request: Request, template: str, ctx: dict[str, Any]) -> Response:
    response = render_page(request, template, ctx)
    response.headers.update(NO_STORE)
    return response


@router.get("/wx/{merchant_id}/vouchers")
def my_vouchers_page(request: Request, merchant_id: IdPath) -> Response:
    who, shop = _signed_in(request, merchant_id)
    if who is None:
        return consumer_session.sign_in_redirect(request, merchant_id, _here(request))
    c = _container(request)
    mine = vouchers.my_vouchers(c.uow(), merchant_id, who.openid, now=c.clock())
    ctx = {
        "shop": shop,
        "merchant_id": merchant_id,
        "usable": [v for v in mine if v.open],
        "done": [v for v in mine if not v.open],
    }
    return _page(request, "consumer/vouchers.html", ctx)


@router.get("/wx/{merchant_id}/vouchers/{code}")
def my_voucher_page(request: Request, merchant_id: IdPath, code: CodePath) -> Response:
    who, shop = _signed_in(request, merchant_id)
    if who is None:
        return consumer_session.sign_in_redirect(request, merchant_id, _here(request))
    c = _container(request)
    voucher = vouchers.my_voucher(c.uow(), merchant_id, who.openid, code, now=c.clock())
    if voucher is None:
        return error_page(request, DomainError(ErrorCode.VOUCHER_NOT_FOUND), 404)
    ctx = {
        "shop": shop,
        "merchant_id": merchant_id,
        "v": voucher,
        "qr": qr_svg(voucher.code) if voucher.open else None,
        "grouped": grouped(voucher.code),
    }
    return _page(request, "consumer/voucher.html", ctx)
