"""`voucherbridge doctor`: the installation's checks as a table; exit 1 when any failed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from voucherbridge.bootstrap import build
from voucherbridge.cli.startup import load_settings
from voucherbridge.ops.doctor import PLATFORM_TIMEOUT_S, run_checks


def doctor(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each platform")
    ] = PLATFORM_TIMEOUT_S,
) -> None:
    """Check settings, database, migrations, clock skew and platform URLs (体检)."""
    container = build(load_settings())
    try:
        findings = run_checks(
            container.settings, container.uow, container.clock, platform_timeout_s=timeout
        )
    finally:
        container.engine.dispose()
    table = Table(title="voucherbridge doctor 体检")
    table.add_column("检查 check")
    table.add_column("结果 result")
    table.add_column("说明 detail", overflow="fold")
    for finding in findings:
        shown = "[green]✓ ok[/green]" if finding.ok else "[red]✗ 失败 failed[/red]"
        table.add_row(finding.name, shown, finding.detail)
    Console(width=120).print(table)
    if not all(finding.ok for finding in findings):
        raise typer.Exit(1)
