"""Platforms calling us: signed pushes and SPIs. Routes only translate."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from voucherbridge.api.deps import ContainerDep
from voucherbridge.platforms.douyin.inbound import DouyinInbound, InboundCall

router = APIRouter(prefix="/hooks", tags=["platform callbacks"], include_in_schema=True)


@router.post("/weimall")
async def weimall(request: Request, c: ContainerDep) -> Any:
    """The micro-mall's pushes: VOUCHER_PURCHASED, VOUCHER_REFUNDED, PING (signed envelope)."""
    from voucherbridge.platforms.weimall import inbound as weimall_inbound

    raw = await request.body()
    return await run_in_threadpool(
        weimall_inbound.handle_push,
        c.uow,
        c.secrets.open,
        raw,
        now=c.clock(),
        tolerance_s=c.settings.callback_tolerance_s,
    )


def _douyin(c: ContainerDep) -> DouyinInbound:
    return DouyinInbound(
        c.uow,
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
    call = await _call(request)
    return await run_in_threadpool(_douyin(c).spi, name, call, c.clock())


@router.post("/douyin/webhook")
async def douyin_webhook(request: Request, c: ContainerDep) -> Any:
    """Douyin's messages (X-Douyin-Signature), including the URL check challenge."""
    call = await _call(request)
    return await run_in_threadpool(_douyin(c).webhook, call, c.clock())
