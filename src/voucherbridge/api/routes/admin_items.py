"""Admin API: the merchant's item catalogue (菜品)."""

from __future__ import annotations

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import ItemCodePath, admin_router
from voucherbridge.api.schemas.admin_items import ItemCreate, ItemRead, ItemUpdate
from voucherbridge.catalogue import items

router = admin_router()


@router.get("/items", response_model=list[ItemRead])
def list_items(actor: ActorDep, c: ContainerDep) -> list[items.ItemView]:
    """The merchant's item catalogue (菜品)."""
    return items.list_items(c.uow(), actor=actor)


@router.post("/items", status_code=201, response_model=ItemRead)
def create_item(body: ItemCreate, actor: ActorDep, c: ContainerDep) -> items.ItemView:
    """Add an item to the catalogue (HQ only); an existing item code is a conflict."""
    return items.create_item(
        c.uow(write=True),
        actor=actor,
        item_code=body.item_code,
        name=body.name,
        unit=body.unit,
        unit_price_fen=body.unit_price_fen,
        now=c.clock(),
    )


@router.patch("/items/{item_code}", response_model=ItemRead)
def update_item(
    item_code: ItemCodePath, body: ItemUpdate, actor: ActorDep, c: ContainerDep
) -> items.ItemView:
    """Change an item's name, unit, price or active flag (HQ only)."""
    return items.update_item(
        c.uow(write=True),
        actor=actor,
        item_code=item_code,
        changes=items.ItemChanges(**body.model_dump(exclude_unset=True)),
        now=c.clock(),
    )
