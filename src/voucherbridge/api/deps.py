"""Request dependencies: the container, the calling terminal, the calling console user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Header, Request

from voucherbridge.bootstrap import Container
from voucherbridge.chain import auth
from voucherbridge.core import csrf
from voucherbridge.core.actor import Actor
from voucherbridge.core.csrf import CASHIER_COOKIE, CSRF_HEADER
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.codes import CodeType, classify_code
from voucherbridge.domain.errors import DomainError
from voucherbridge.domain.records import Terminal


async def get_container(request: Request) -> Container:
    # async: a plain attribute read, not worth a hop to the thread pool (a sync dependency
    # runs in a thread of its own before the route's).
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def terminal_key(request: Request, container: Container, authorization: str | None) -> str | None:
    """The terminal key the request carries: `Authorization: Bearer <key>`.

    The cashier page holds the key in an HttpOnly cookie instead; a cookie is sent by the
    browser on its own, so it counts only with the page's CSRF token beside it (read from the
    raw headers to keep the published contract free of a page-only parameter).
    """
    if authorization is None:
        cookie = request.cookies.get(CASHIER_COOKIE)
        if cookie and csrf.is_valid(
            container.settings.secret_key, cookie, request.headers.get(CSRF_HEADER)
        ):
            return cookie
    return bearer_token(authorization)


def get_terminal(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Terminal:
    """The terminal whose key the request carries (`terminal_key`), checked in the database."""
    return auth.resolve_terminal(container.uow(), terminal_key(request, container, authorization))


def terminal_of(container: Container, key: str | None) -> Terminal:
    """The terminal of a key from `TerminalKeyDep`, checked in the database (blocking)."""
    return auth.resolve_terminal(container.uow(), key)


@contextmanager
def scan_session(
    container: Container,
    make_uow: UnitOfWorkFactory,
    key: str | None,
    raw_code: str,
    *,
    write: bool,
) -> Iterator[tuple[UnitOfWorkFactory, Terminal]]:
    """The units of work of one scan (from `make_uow`, as `api.database_work.run_scan` hands
    it) and its terminal, the key checked in the transaction the scan of one of our codes then
    carries on in.

    A platform code's scan talks to its platform between transactions, so its key is checked
    in a transaction of its own, as every other route does.
    """
    if is_platform_code(raw_code):
        yield make_uow, terminal_of(container, key)
        return
    with make_uow.opened_first(write=write) as first:
        yield first, auth.terminal_in(first.uow, key)


def is_platform_code(raw_code: str) -> bool:
    """Whether the scanned text is a platform's code (checked with its platform)."""
    try:
        return classify_code(raw_code).code_type is CodeType.PLATFORM
    except DomainError:
        return False  # unreadable: refused as an unknown code of ours would be


async def get_terminal_key(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The key only, for routes that check it on the thread that does their work (one thread
    hop per request instead of two: the scan routes, issue #20). A missing or malformed key is
    refused here already, before the body is looked at, as `get_terminal` refuses it."""
    return auth.terminal_key_shaped(terminal_key(request, container, authorization))


def get_actor(
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The console user whose token is in `Authorization: Bearer <token>`."""
    return auth.resolve_admin(container.uow(), bearer_token(authorization), container.clock())


TerminalDep = Annotated[Terminal, Depends(get_terminal)]
TerminalKeyDep = Annotated[str, Depends(get_terminal_key)]
ActorDep = Annotated[Actor, Depends(get_actor)]
