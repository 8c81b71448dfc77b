"""The cashier pages: sign-in, the counter page and sign-out.

The counter page itself is a client of the Terminal API (cashier.js); these routes only put a
terminal key into an HttpOnly cookie and render the page with the CSRF token the API expects.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core import csrf
from voucherbridge.core.csrf import CASHIER_COOKIE, CSRF_HEADER
from voucherbridge.counter import cashier_sessions
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal
from voucherbridge.web.templating import render_page

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
# A counter shift; a till's key stays valid until revoked; a cashier's web terminal ends at
# sign-out, the next login, a password reset or deactivation (every request re-checks).
COOKIE_MAX_AGE = 16 * 3600


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _live_terminal(request: Request) -> tuple[str, Terminal] | None:
    key = request.cookies.get(CASHIER_COOKIE)
    if not key:
        return None
    try:
        return key, auth.resolve_terminal(_container(request).uow(), key)
    except DomainError:
        return None


def _to_login() -> RedirectResponse:
    response = RedirectResponse("/cashier/login", status_code=303)
    response.delete_cookie(CASHIER_COOKIE, path="/")
    return response


@router.get("/cashier/login")
def login_form(request: Request) -> Response:
    return render_page(request, "cashier/login.html", {"error": None, "username": ""})


@router.post("/cashier/login")
def login(
    request: Request,
    key: Text = "",
    username: Text = "",
    password: Text = "",
) -> Response:
    c = _container(request)
    if not csrf.is_same_origin(request.headers.get("origin"), request.headers.get("host")):
        error = DomainError(ErrorCode.FORBIDDEN)
        return render_page(request, "cashier/login.html", {"error": error, "username": ""}, 403)
    try:
        if key.strip():
            cashier_sessions.check_terminal_key(c.uow(), key)
            cookie_value = key.strip()
        else:
            cookie_value, _ = cashier_sessions.open_cashier_session(
                c.uow(write=True),
                username=username,
                password=password,
                now=c.clock(),
                policy=c.sign_in_policy,
            )
    except DomainError as error:
        status = {ErrorCode.FORBIDDEN: 403, ErrorCode.SIGN_IN_LOCKED: 429}.get(error.code, 400)
        return render_page(
            request, "cashier/login.html", {"error": error, "username": username}, status
        )
    response = RedirectResponse("/cashier", status_code=303)
    response.set_cookie(
        CASHIER_COOKIE,
        cookie_value,
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/cashier")
def counter_page(request: Request) -> Response:
    signed_in = _live_terminal(request)
    if signed_in is None:
        return _to_login()
    key, terminal = signed_in
    c = _container(request)
    context: dict[str, Any] = cashier_sessions.counter_context(c.uow(), terminal=terminal)
    context.update(
        csrf_token=csrf.token_for(c.settings.secret_key, key),
        csrf_header=CSRF_HEADER,
    )
    return render_page(request, "cashier/counter.html", context)


@router.post("/cashier/logout")
def logout(request: Request, csrf_token: Text = "") -> Response:
    key = request.cookies.get(CASHIER_COOKIE)
    c = _container(request)
    # A forged sign-out would only be a nuisance, but it must still not work from other sites.
    if key and not csrf.is_valid(c.settings.secret_key, key, csrf_token):
        return RedirectResponse("/cashier", status_code=303)
    if key:
        # A cashier's web terminal ends here (a copy of the cookie dies with it); a till's key
        # only leaves this browser.
        cashier_sessions.close_cashier_session(c.uow(write=True), key, now=c.clock())
    return _to_login()
