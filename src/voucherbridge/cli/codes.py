"""`voucherbridge codes issue`: a print run of merchant codes from the command line, batch by
batch with a progress bar, written to a CSV file; running it again with the same reference
resumes (batches already made are read back, not made twice)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from voucherbridge.catalogue.bulk_issuing import issue_run
from voucherbridge.cli.report import MerchantOpt, _container, _fail
from voucherbridge.core.actor import Actor
from voucherbridge.domain.errors import DomainError

codes_app = typer.Typer(help="券码 / codes: issue a print run of merchant codes.")


@codes_app.command("issue")
def issue(
    listing: Annotated[int, typer.Option("--listing", help="Listing id (a merchant-code listing)")],
    count: Annotated[int, typer.Option("--count", help="How many codes")],
    reference: Annotated[str, typer.Option("--reference", help="Name of the run; reuse to resume")],
    output: Annotated[Path, typer.Option("--output", help="CSV file for the codes")],
    merchant: MerchantOpt = 1,
) -> None:
    """Issue COUNT codes of LISTING in batches and write them to OUTPUT (code,batch)."""
    container = _container()
    err = Console(stderr=True)
    made = replayed = 0
    columns = (
        TextColumn("发券 / issuing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with (
            output.open("w", newline="", encoding="utf-8-sig") as out,
            Progress(*columns, console=err, transient=True) as progress,
        ):
            writer = csv.writer(out)
            writer.writerow(["code", "batch"])
            task = progress.add_task("codes", total=count)
            for batch in issue_run(
                container.uow,
                actor=Actor.operator(merchant),
                listing_id=listing,
                quantity=count,
                reference=reference,
                now=container.clock,
            ):
                writer.writerows([code, batch.reference] for code in batch.codes)
                made += len(batch.codes) if batch.created else 0
                replayed += 0 if batch.created else len(batch.codes)
                progress.update(task, completed=batch.issued)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{made + replayed} 张券码已写入 {output} (本次新发 {made}, 已有 {replayed})")
    typer.echo(f"{made + replayed} codes in {output} ({made} new, {replayed} from earlier runs)")
