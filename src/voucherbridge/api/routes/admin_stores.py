"""Admin API: the chain's stores (list, open, read, edit)."""

from __future__ import annotations

from typing import Any

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_stores import StoreCreate, StoreRead, StoreUpdate
from voucherbridge.chain import stores

router = admin_router()


@router.get("/stores", response_model=list[StoreRead])
def list_stores(actor: ActorDep, c: ContainerDep) -> Any:
    """Stores of the chain (HQ) or of the manager's own stores."""
    return stores.list_stores(c.uow(), actor=actor)


@router.post("/stores", status_code=201, response_model=StoreRead)
def create_store(body: StoreCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Open a new store (HQ only)."""
    return stores.create_store(
        c.uow(write=True),
        actor=actor,
        name=body.name,
        brand=body.brand,
        address=body.address,
        now=c.clock(),
    )


@router.get("/stores/{store_id}", response_model=StoreRead)
def get_store(store_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """One store."""
    return stores.get_store(c.uow(), actor=actor, store_id=store_id)


@router.patch("/stores/{store_id}", response_model=StoreRead)
def update_store(store_id: IdPath, body: StoreUpdate, actor: ActorDep, c: ContainerDep) -> Any:
    """Edit a store; only HQ may deactivate one."""
    return stores.update_store(
        c.uow(write=True),
        actor=actor,
        store_id=store_id,
        changes=stores.StoreChanges(**body.model_dump(exclude_unset=True)),
        now=c.clock(),
    )
