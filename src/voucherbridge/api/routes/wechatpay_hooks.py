"""WeChat Pay calling us: the payment notify of a table's self-pay. Routes only translate."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from voucherbridge.api.deps import ContainerDep
from voucherbridge.selfpay.payments import record_notify

router = APIRouter(prefix="/hooks", tags=["platform callbacks"])
NOTIFY_PATH = "/hooks/wechatpay/notify"


@router.post("/wechatpay/notify", status_code=204, response_class=Response)
async def wechatpay_notify(request: Request, c: ContainerDep) -> Response:
    """微信支付结果通知 (WeChat Pay v3): signed with WeChat Pay's platform key, its resource
    encrypted with our APIv3 key. 204 once recorded (a replay too); 401 for a bad signature,
    nothing changed; 4xx for a notify that does not match our order (WeChat Pay retries)."""
    raw = await request.body()
    await run_in_threadpool(
        record_notify, c.uow, c.wechatpay, headers=request.headers, body=raw, now=c.clock()
    )
    return Response(status_code=204)
