"""Admin API: reconciliation (对账) of a store's platform day, from the platform's API or an
uploaded CSV statement; kept runs by date and one by id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import File, Form, Query, UploadFile
from pydantic import Field

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.common import Strict
from voucherbridge.bootstrap import Container
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.reconciliation import service
from voucherbridge.reconciliation.views import RunSummary, RunView

router = admin_router()
Platform = Literal["douyin", "meituan", "weimall"]
StoreId = Annotated[int, Field(strict=True, ge=1, le=2**62)]
MAX_CSV_BYTES = 4 * 1024 * 1024


class ReconciliationCreate(Strict):
    platform: Platform
    store_id: StoreId
    date: dt.date


def reader(c: Container) -> service.StatementReader:
    return service.StatementReader(c.platform_clients, c.secrets.open)


@router.post("/reconciliations", status_code=201)
def reconcile(body: ReconciliationCreate, actor: ActorDep, c: ContainerDep) -> RunView:
    """Fetch the platform's statement of the store's day and compare it with our redemptions
    and reversals: matched, theirs_only, ours_only, amount_differs, status_differs, totals in
    fen. The run is kept; a platform that is down answers platform_unavailable, keeping nothing."""
    return service.reconcile(
        c.uow,
        reader(c),
        actor=actor,
        platform=body.platform,
        store_id=body.store_id,
        day=body.date,
        clock=c.clock,
    )


@router.post("/reconciliations/upload", status_code=201)
async def upload(
    actor: ActorDep,
    c: ContainerDep,
    platform: Annotated[Platform, Form()],
    store_id: Annotated[int, Form(ge=1, le=2**62)],
    day: Annotated[dt.date, Form(alias="date")],
    file: Annotated[UploadFile, File(description="The platform's statement as CSV")],
) -> RunView:
    """Compare an uploaded statement (CSV: 券码, 金额(元) or 金额(分), 状态, 核销时间, 门店;
    see docs/reconciliation.md) with our redemptions of the store's day; the run is kept."""
    content = await file.read(MAX_CSV_BYTES + 1)
    if len(content) > MAX_CSV_BYTES:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="file")
    return service.reconcile_csv(
        c.uow,
        actor=actor,
        platform=platform,
        store_id=store_id,
        day=day,
        content=content,
        clock=c.clock,
    )


@router.get("/reconciliations")
def list_runs(
    actor: ActorDep,
    c: ContainerDep,
    day: Annotated[dt.date | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RunSummary]:
    """Kept runs newest first, of one day (`date=YYYY-MM-DD`) or all; a store manager sees
    their stores' runs."""
    return service.list_runs(c.uow(), actor=actor, day=day, limit=limit)


@router.get("/reconciliations/{run_id}")
def get_run(run_id: IdPath, actor: ActorDep, c: ContainerDep) -> RunView:
    """One kept run with its lines (codes, both amounts and statuses, times in the merchant's
    zone, store)."""
    return service.get_run(c.uow(), actor=actor, run_id=run_id)
