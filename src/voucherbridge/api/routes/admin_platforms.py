"""Admin API: platform bindings (基础资料-票券关联: platform store id + secret, or for Douyin
the account that authorized our app)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import admin_router
from voucherbridge.api.schemas.common import Strict
from voucherbridge.platforms import bindings
from voucherbridge.platforms.registry import binding_tester

# These operations do not list the error envelope in the OpenAPI document (yet).
router = admin_router(documented_errors=False)


class BindingCreate(Strict):
    store_id: Annotated[int, Field(strict=True, ge=1, le=2**62)]  # beyond: DB integer overflow
    platform: Literal["weimall", "douyin", "meituan"]
    platform_store_id: Annotated[str, Field(min_length=1, max_length=64)]
    # The store's secret (micro-mall, Meituan); none for Douyin, whose one app the merchant
    # authorizes: give the authorizing 抖音来客 account id instead (optional).
    secret: Annotated[str, Field(max_length=256)] = ""
    account_id: Annotated[str, Field(max_length=64)] = ""


@router.get("/bindings")
def list_bindings(actor: ActorDep, c: ContainerDep) -> list[bindings.BindingView]:
    """Every binding the actor may see, with 已绑定 / 绑定失败 status; secrets never shown."""
    return bindings.list_bindings(c.uow, actor=actor)


@router.post("/bindings", status_code=201)
def bind(body: BindingCreate, actor: ActorDep, c: ContainerDep) -> bindings.BindingView:
    """Bind a store to a platform store; bound only after the platform's signed test call."""
    return bindings.bind_store(
        c.uow,
        actor=actor,
        store_id=body.store_id,
        platform=body.platform,
        platform_store_id=body.platform_store_id,
        secret=body.secret,
        account_id=body.account_id,
        tester=binding_tester(c.platform_clients),
        sealer=c.secrets,
        now=c.clock(),
    )
