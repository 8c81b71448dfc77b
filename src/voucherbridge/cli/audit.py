"""`voucherbridge audit verify` and `voucherbridge alerts`. Commands only wire."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from voucherbridge.audit import alerts as alert_service
from voucherbridge.audit import verify as audit_verify
from voucherbridge.bootstrap import build
from voucherbridge.cli.startup import load_settings
from voucherbridge.db import migrate as db_migrate

audit_app = typer.Typer(help="审计日志 / the hash-chained audit log.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object instead of text")]
_SPAN = re.compile(r"^(\d+)([mhd])$")


def _chain_json(view: audit_verify.ChainView) -> dict[str, Any]:
    """A chain's check as JSON: `broken` only when the chain is broken."""
    return {k: v for k, v in asdict(view).items() if k != "broken" or v is not None}


def parse_since(text: str, now: datetime) -> datetime:
    """A span back from now (24h, 7d, 30m) or an ISO time (UTC when it has no zone)."""
    match = _SPAN.match(text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter("use 24h, 7d or an ISO time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit_app.command("verify")
def verify(as_json: JsonOpt = False) -> None:
    """Check every audit hash chain; exit 1 naming the first broken row (edited/deleted/...)."""
    container = build(load_settings())
    db_migrate.ensure_migrated(container.engine)
    reports = audit_verify.verify_all(container.uow)
    broken = [r for r in reports if r.broken is not None]
    if as_json:
        chains = [_chain_json(r.view()) for r in reports]
        typer.echo(json.dumps({"ok": not broken, "chains": chains}))
    else:
        total = sum(r.rows for r in reports)
        for report in broken:
            typer.echo(report.message(), err=True)
        if not broken:
            typer.echo(f"审计链完整 {total} 条 / audit chain intact: {total} rows")
    raise typer.Exit(1 if broken else 0)


def alerts(
    since: Annotated[str, typer.Option(help="How far back: 24h, 7d or an ISO time")] = "7d",
    merchant_id: Annotated[int, typer.Option(help="Merchant id")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Alerts: a code tried at two stores, many reversals by one till, after-hours redemptions."""
    container = build(load_settings())
    db_migrate.ensure_migrated(container.engine)
    settings = container.settings
    found = alert_service.find_alerts(
        container.uow(),
        merchant_id=merchant_id,
        since=parse_since(since, container.clock()),
        settings=alert_service.AlertSettings(
            reversals_threshold=settings.alert_reversals_threshold,
            reversals_window=timedelta(hours=settings.alert_reversals_window_hours),
        ),
    )
    if as_json:
        body = {"count": len(found), "alerts": [asdict(a) for a in found]}
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    if not found:
        typer.echo("没有告警 / no alerts")
        return
    table = Table(title=f"告警 alerts ({len(found)})")
    for column in ("时间 at", "类型 kind", "门店 stores", "详情 detail"):
        table.add_column(column, overflow="fold")
    for alert in found:
        stores = ",".join(s.name or str(s.id) for s in alert.stores)
        table.add_row(
            str(alert.at), alert.kind, stores, json.dumps(alert.detail, ensure_ascii=False)
        )
    Console(width=140).print(table)


audit_app.command("alerts")(alerts)
