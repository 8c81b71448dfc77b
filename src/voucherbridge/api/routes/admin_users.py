"""Admin API: console users of the merchant (HQ only)."""

from __future__ import annotations

from typing import Any

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_users import UserCreate, UserRead, UserUpdate
from voucherbridge.chain import users

router = admin_router()


@router.get("/users", response_model=list[UserRead])
def list_users(actor: ActorDep, c: ContainerDep) -> Any:
    """Console users of the merchant (HQ only)."""
    return users.list_users(c.uow(), actor=actor)


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(body: UserCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Create a console user (HQ only); managers and cashiers need at least one store."""
    return users.create_user(
        c.uow(write=True),
        actor=actor,
        username=body.username,
        password=body.password,
        role=body.role,
        store_ids=body.store_ids,
        display_name=body.display_name,
        now=c.clock(),
    )


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: IdPath, body: UserUpdate, actor: ActorDep, c: ContainerDep) -> Any:
    """Activate, deactivate, re-scope or reset the password of a user (HQ only)."""
    return users.update_user(
        c.uow(write=True),
        actor=actor,
        user_id=user_id,
        changes=users.UserChanges(**body.model_dump(exclude_unset=True)),
        now=c.clock(),
    )
