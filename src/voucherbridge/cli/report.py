"""`voucherbridge report sales|redemptions|archive`: the admin API's reports at the command
line, as Rich tables or CSV / XLSX files (a progress bar while a long archive is written).
Commands only wire: the numbers come from reports/ as the API and the console get them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from voucherbridge.bootstrap import Container, build
from voucherbridge.cli.startup import load_settings
from voucherbridge.core.actor import Actor
from voucherbridge.db import migrate as db_migrate
from voucherbridge.domain.errors import DomainError
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.i18n.catalogue import render
from voucherbridge.reports import Cell, Page, Report
from voucherbridge.reports import archive as lists
from voucherbridge.reports.bulk import EXPORT_PAGE, collect, walk
from voucherbridge.reports.common import parse_group_by, parse_optional_day, parse_period
from voucherbridge.reports.export import csv_cell, csv_lines, to_xlsx
from voucherbridge.reports.redemptions import redemptions_report
from voucherbridge.reports.sales import sales_report

report_app = typer.Typer(help="报表 / reports: sales, redemptions, the code archive.")

FromOpt = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (merchant's zone)")]
ToOpt = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included)")]
GroupOpt = Annotated[
    str | None, typer.Option("--group-by", help="Comma-separated: store,day,platform,listing")
]
MerchantOpt = Annotated[int, typer.Option("--merchant", help="Merchant id")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or xlsx")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="File to write (csv/xlsx)")]
FORMATS = ("table", "csv", "xlsx")


def _container() -> Container:
    container = build(load_settings())
    db_migrate.ensure_migrated(container.engine)
    return container


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"{exc.code}: {render(exc.code, exc.params)}", err=True)
    return typer.Exit(code=1)


def _check_format(fmt: str, output: Path | None) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if fmt == "xlsx" and output is None:
        raise typer.BadParameter("an XLSX file needs --output", param_hint="--output")
    return fmt


def _table(report: Report) -> Table:
    table = Table(title=f"{report.title_zh} / {report.title_en}", show_lines=False)
    for column in report.columns:
        numeric = column.kind in ("count", "fen")
        table.add_column(column.label_zh, justify="right" if numeric else "left")
    for row in report.rows:
        table.add_row(*(csv_cell(c, row.get(c.key)) for c in report.columns))
    if report.totals:
        table.add_row(
            *(
                (
                    fen_to_yuan_str(report.totals[c.key])
                    if c.kind == "fen"
                    else str(report.totals[c.key])
                )
                if c.key in report.totals
                else ""
                for c in report.columns
            ),
            style="bold",
        )
    return table


def _emit(report: Report, fmt: str, output: Path | None) -> None:
    if fmt == "table":
        Console().print(_table(report))
    elif fmt == "xlsx":
        assert output is not None
        output.write_bytes(to_xlsx(report))
        typer.echo(f"{len(report.rows)} rows -> {output}")
    elif output is None:
        typer.echo("".join(csv_lines(report)), nl=False)
    else:
        output.write_bytes("".join(csv_lines(report)).encode("utf-8"))
        typer.echo(f"{len(report.rows)} rows -> {output}")


def _report(
    build_report: Callable[[Container, Actor], Report],
    fmt: str,
    output: Path | None,
    merchant: int,
) -> None:
    fmt = _check_format(fmt, output)
    container = _container()
    try:
        report = build_report(container, Actor.operator(merchant))
    except DomainError as exc:
        raise _fail(exc) from exc
    _emit(report, fmt, output)


@report_app.command("sales")
def sales(
    start: FromOpt,
    end: ToOpt,
    group_by: GroupOpt = None,
    merchant: MerchantOpt = 1,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """供货订单: codes sold per platform / listing / redeeming store / day."""

    def make(c: Container, actor: Actor) -> Report:
        period = parse_period(start, end)
        keys = parse_group_by(group_by, ("platform", "listing"))
        return sales_report(c.uow(), actor=actor, period=period, group_by=keys, now=c.clock())

    _report(make, fmt, output, merchant)


@report_app.command("redemptions")
def redemptions(
    start: FromOpt,
    end: ToOpt,
    group_by: GroupOpt = None,
    merchant: MerchantOpt = 1,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """Redemptions per store / day / platform / listing / terminal: uses, reversals, net."""

    def make(c: Container, actor: Actor) -> Report:
        period = parse_period(start, end)
        keys = parse_group_by(group_by, ("store", "day"))
        return redemptions_report(c.uow(), actor=actor, period=period, group_by=keys)

    _report(make, fmt, output, merchant)


@report_app.command("archive")
def archive(
    start: Annotated[str | None, typer.Option("--from", help="Issued on or after")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Issued on or before")] = None,
    status: Annotated[str | None, typer.Option(help="issued, redeemed, voided, expired")] = None,
    platform: Annotated[str | None, typer.Option(help="weimall, douyin, meituan")] = None,
    store_id: Annotated[int | None, typer.Option(help="Used at this store")] = None,
    prefix: Annotated[str | None, typer.Option(help="Code starts with")] = None,
    merchant: MerchantOpt = 1,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """票券档案: every code with its history (the whole filtered list, page after page)."""
    fmt = _check_format(fmt, output)
    container = _container()
    actor = Actor.operator(merchant)
    try:
        filters = lists.CodeFilter(
            status=status,
            platform=platform,
            store_id=store_id,
            date_from=parse_optional_day(start, "from"),
            date_to=parse_optional_day(end, "to"),
            code_prefix=prefix,
        )

        def fetch(cursor: str | None) -> Page:
            return lists.codes_page(
                container.uow(), actor=actor, filters=filters, cursor=cursor, limit=EXPORT_PAGE
            )

        report = _with_progress(fetch) if output is not None else collect(fetch)
    except DomainError as exc:
        raise _fail(exc) from exc
    _emit(report, fmt, output)


def _with_progress(fetch: Callable[[str | None], Page]) -> Report:
    """Walk the pages with a progress bar on stderr (rows so far; the total is unknown)."""
    rows: list[dict[str, Cell]] = []
    first: Report | None = None
    columns = (TextColumn("[bold]票券档案 archive"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("rows", total=None)
        for page in walk(fetch):
            first = first or page.report
            rows.extend(page.report.rows)
            progress.update(task, advance=len(page.report.rows))
    assert first is not None
    return Report(first.title_zh, first.title_en, first.columns, tuple(rows))
