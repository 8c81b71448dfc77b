"""`voucherbridge reconcile`: reconcile one store's platform day (对账) from the platform's API
or a CSV statement, keep the run and print it as Rich tables. Commands only wire."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from voucherbridge.bootstrap import build
from voucherbridge.cli.startup import load_settings
from voucherbridge.core.actor import Actor
from voucherbridge.db import migrate as db_migrate
from voucherbridge.domain.errors import DomainError
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.i18n.catalogue import render
from voucherbridge.reconciliation import service
from voucherbridge.reconciliation.compare import MISMATCHES
from voucherbridge.reconciliation.views import LineView, RunView

LABELS = {
    "matched": "一致 matched",
    "theirs_only": "仅平台有 theirs only",
    "ours_only": "仅我方有 ours only",
    "amount_differs": "金额不符 amount differs",
    "status_differs": "状态不符 status differs",
}


def _yuan(fen: int | None) -> str:
    return "" if fen is None else fen_to_yuan_str(fen)


def _print(run: RunView, console: Console) -> None:
    summary = Table(title=f"对账 #{run.id} {run.platform} {run.store} {run.date} ({run.source})")
    for column in ("我方(元) ours", "平台(元) theirs", "差额(元) difference", *LABELS.values()):
        summary.add_column(column, justify="right")
    counts = run.counts
    summary.add_row(
        _yuan(run.ours_fen),
        _yuan(run.theirs_fen),
        _yuan(run.difference_fen),
        *(str(getattr(counts, kind)) for kind in LABELS),
    )
    console.print(summary)
    lines: list[LineView] = [x for kind in MISMATCHES for x in getattr(run, kind)]
    if not lines:
        console.print("一致 / consistent: every code matches")
        return
    detail = Table(title="不一致 mismatches")
    for column in ("类型 kind", "券码 code", "门店 store", "我方 ours", "平台 theirs", "时间 time"):
        detail.add_column(column)
    for x in lines:
        ours = f"{_yuan(x.ours_fen)} {x.ours_status or ''}".strip()
        theirs = f"{_yuan(x.theirs_fen)} {x.theirs_status or ''}".strip()
        detail.add_row(LABELS[x.kind], x.code, x.store, ours, theirs, x.ours_at or x.theirs_at)
    console.print(detail)


def reconcile(
    platform: Annotated[str, typer.Option("--platform", help="douyin | meituan | weimall")],
    store: Annotated[int, typer.Option("--store", help="Store id")],
    day: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD (merchant's zone)")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="The platform's statement as CSV instead")
    ] = None,
    merchant: Annotated[int, typer.Option("--merchant", help="Merchant id")] = 1,
) -> None:
    """对账: compare a store's platform day with our redemptions and reversals; keeps the run."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    container = build(load_settings())
    db_migrate.ensure_migrated(container.engine)
    actor = Actor.operator(merchant)
    try:
        if csv is not None:
            run = service.reconcile_csv(
                container.uow,
                actor=actor,
                platform=platform,
                store_id=store,
                day=when,
                content=csv.read_bytes(),
                clock=container.clock,
            )
        else:
            reader = service.StatementReader(container.platform_clients, container.secrets.open)
            run = service.reconcile(
                container.uow,
                reader,
                actor=actor,
                platform=platform,
                store_id=store,
                day=when,
                clock=container.clock,
            )
    except DomainError as exc:
        typer.echo(f"{exc.code}: {render(exc.code, exc.params)}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        container.engine.dispose()
    _print(run, Console(width=160))
    if not run.consistent:
        raise typer.Exit(code=3)  # scripts: a kept run that found mismatches
