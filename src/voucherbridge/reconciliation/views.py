"""What a reconciliation run looks like to the admin API, the CLI and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.core.formatting import iso
from voucherbridge.reconciliation.compare import KINDS


@dataclass(frozen=True, kw_only=True)
class LineView:
    """One code of the run: both sides' amounts (fen), statuses and times (merchant's zone)."""

    kind: str
    code: str
    store_id: int
    store: str
    ours_fen: int | None
    theirs_fen: int | None
    ours_status: str | None
    theirs_status: str | None
    ours_at: str | None
    theirs_at: str | None
    redemption_id: str | None
    platform_ref: str | None

    @classmethod
    def of(cls, row: dict[str, Any], store_id: int, store: str, zone: ZoneInfo) -> LineView:
        return cls(
            kind=row["kind"],
            code=row["code"],
            store_id=store_id,
            store=store,
            ours_fen=row["ours_fen"],
            theirs_fen=row["theirs_fen"],
            ours_status=row["ours_status"],
            theirs_status=row["theirs_status"],
            ours_at=iso(row["ours_at"], zone),
            theirs_at=iso(row["theirs_at"], zone),
            redemption_id=row["redemption_id"],
            platform_ref=row["platform_ref"],
        )


@dataclass(frozen=True, kw_only=True)
class Counts:
    matched: int
    theirs_only: int
    ours_only: int
    amount_differs: int
    status_differs: int

    @property
    def mismatches(self) -> int:
        return self.theirs_only + self.ours_only + self.amount_differs + self.status_differs


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """A kept run without its lines: totals in fen (difference = theirs − ours) and counts."""

    id: int
    store_id: int
    store: str
    platform: str
    date: str
    source: str  # api | csv
    trigger: str  # manual | nightly
    started_by: str
    started_at: str | None
    finished_at: str | None
    ours_fen: int
    theirs_fen: int
    difference_fen: int
    counts: Counts
    consistent: bool

    @classmethod
    def of(cls, run: dict[str, Any], store: str, zone: ZoneInfo) -> RunSummary:
        counts = Counts(**{kind: int(run[kind]) for kind in KINDS})
        return cls(
            id=run["id"],
            store_id=run["store_id"],
            store=store,
            platform=run["platform"],
            date=run["day"].isoformat(),
            source=run["source"],
            trigger=run["trigger"],
            started_by=run["started_by"],
            started_at=iso(run["started_at"], zone),
            finished_at=iso(run["finished_at"], zone),
            ours_fen=run["ours_fen"],
            theirs_fen=run["theirs_fen"],
            difference_fen=run["difference_fen"],
            counts=counts,
            consistent=counts.mismatches == 0 and run["difference_fen"] == 0,
        )


@dataclass(frozen=True, kw_only=True)
class RunView(RunSummary):
    """A run with its lines sorted by kind."""

    matched: list[LineView]
    theirs_only: list[LineView]
    ours_only: list[LineView]
    amount_differs: list[LineView]
    status_differs: list[LineView]


def run_view(summary: RunSummary, lines: list[LineView]) -> RunView:
    by_kind: dict[str, list[LineView]] = {kind: [] for kind in KINDS}
    for line in lines:
        by_kind[line.kind].append(line)
    return RunView(
        **vars(summary),
        matched=by_kind["matched"],
        theirs_only=by_kind["theirs_only"],
        ours_only=by_kind["ours_only"],
        amount_differs=by_kind["amount_differs"],
        status_differs=by_kind["status_differs"],
    )
