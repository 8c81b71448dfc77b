"""Platforms calling us: signed pushes and SPIs. Routes only translate.

Handling one talks to our database only, so it runs where `run_database_work` says (on the
event loop on SQLite unless another writer holds the database): a flash sale is thousands of
these a minute (issue #20)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from voucherbridge.api.database_work import run_database_work
from voucherbridge.api.deps import ContainerDep
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.platforms.douyin.inbound import DouyinInbound, InboundCall

router = APIRouter(prefix="/hooks", tags=["platform callbacks"], include_in_schema=True)


@router.post("/weimall")
async def weimall(request: Request, c: ContainerDep) -> Any:
    """The micro-mall's pushes: VOUCHER_PURCHASED, VOUCHER_REFUNDED, PING (signed envelope)."""
    from voucherbridge.platforms.weimall import inbound as weimall_inbound

    raw = await request.body()
    now, tolerance_s = c.clock(), c.settings.callback_tolerance_s

    def work(make_uow: UnitOfWorkFactory) -> dict[str, Any]:
        return weimall_inbound.handle_push(
            make_uow, c.secrets.open, raw, now=now, tolerance_s=tolerance_s
        )

    return await run_database_work(work, c.uow)


def _douyin(c: ContainerDep, make_uow: UnitOfWorkFactory) -> DouyinInbound:
    return DouyinInbound(
        make_uow,
        client_key=c.settings.douyin_client_key,
        client_secret=c.settings.douyin_client_secret,
        tolerance_s=c.settings.callback_tolerance_s,
    )


async def _call(request: Request) -> InboundCall:
    return InboundCall(dict(request.query_params), dict(request.headers), await request.body())


@router.post("/douyin/spi/{name}")
async def douyin_spi(
    name: Literal["issue", "refund-apply", "refund-notice", "order-status"],
    request: Request,
    c: ContainerDep,
) -> Any:
    """Douyin's merchant-code SPIs (signed query, 8 s budget on Douyin's side)."""
    call, now = await _call(request), c.clock()
    return await run_database_work(lambda uow: _douyin(c, uow).spi(name, call, now), c.uow)


@router.post("/douyin/webhook")
async def douyin_webhook(request: Request, c: ContainerDep) -> Any:
    """Douyin's messages (X-Douyin-Signature), including the URL check challenge."""
    call, now = await _call(request), c.clock()
    return await run_database_work(lambda uow: _douyin(c, uow).webhook(call, now), c.uow)
