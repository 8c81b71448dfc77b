"""Request dependencies: the container, the calling terminal, the calling console user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from voucherbridge.bootstrap import Container
from voucherbridge.domain.records import Terminal
from voucherbridge.services import auth


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def get_terminal(
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Terminal:
    """The terminal whose key is in `Authorization: Bearer <key>`."""
    return auth.resolve_terminal(container.uow(), _bearer(authorization))


def get_actor(
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> auth.Actor:
    """The console user whose token is in `Authorization: Bearer <token>`."""
    return auth.resolve_admin(container.uow(), _bearer(authorization), container.clock())


TerminalDep = Annotated[Terminal, Depends(get_terminal)]
ActorDep = Annotated[auth.Actor, Depends(get_actor)]
