"""Admin API: signing in and out, and who is signed in (login, logout, me)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Header, Response

from voucherbridge.api.deps import ActorDep, ContainerDep, bearer_token
from voucherbridge.api.routes.admin_common import admin_router
from voucherbridge.api.schemas.admin_session import LoginRead, LoginRequest, MeRead
from voucherbridge.chain import auth, users
from voucherbridge.core.formatting import iso

router = admin_router()


@router.post("/login", response_model=LoginRead)
def login(body: LoginRequest, c: ContainerDep) -> Any:
    """Exchange a username and password for a bearer token."""
    signed_in = auth.login(
        c.uow(write=True),
        username=body.username.strip(),
        password=body.password,
        now=c.clock(),
        ttl_hours=c.settings.admin_token_ttl_hours,
        policy=c.sign_in_policy,
    )
    return {
        "token": signed_in.token,
        "expires_at": iso(signed_in.expires_at, ZoneInfo(c.settings.timezone)),
        "user": signed_in.user,
    }


@router.post("/logout", status_code=204, response_class=Response)
def logout(
    actor: ActorDep, c: ContainerDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """End this token's session at once; the user's sessions elsewhere stay signed in."""
    auth.logout(c.uow(write=True), bearer_token(authorization), c.clock())
    return Response(status_code=204)


@router.get("/me", response_model=MeRead)
def me(actor: ActorDep, c: ContainerDep) -> Any:
    """The logged-in user, their role, stores and merchant."""
    return users.get_me(c.uow(), actor=actor)
