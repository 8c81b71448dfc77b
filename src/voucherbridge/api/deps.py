"""Request dependencies: the container, the calling terminal, the calling console user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core import csrf
from voucherbridge.core.actor import Actor
from voucherbridge.core.csrf import CASHIER_COOKIE, CSRF_HEADER
from voucherbridge.domain.records import Terminal


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def get_terminal(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Terminal:
    """The terminal whose key is in `Authorization: Bearer <key>`.

    The cashier page holds the key in an HttpOnly cookie instead; a cookie is sent by the
    browser on its own, so it counts only with the page's CSRF token beside it (read from the
    raw headers to keep the published contract free of a page-only parameter).
    """
    if authorization is None:
        cookie = request.cookies.get(CASHIER_COOKIE)
        if cookie and csrf.is_valid(
            container.settings.secret_key, cookie, request.headers.get(CSRF_HEADER)
        ):
            return auth.resolve_terminal(container.uow(), cookie)
    return auth.resolve_terminal(container.uow(), bearer_token(authorization))


def get_actor(
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The console user whose token is in `Authorization: Bearer <token>`."""
    return auth.resolve_admin(container.uow(), bearer_token(authorization), container.clock())


TerminalDep = Annotated[Terminal, Depends(get_terminal)]
ActorDep = Annotated[Actor, Depends(get_actor)]
