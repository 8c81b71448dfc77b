"""Redemptions per store, day, platform, listing and terminal: uses, reversals, net, discount.

A use counts on the day it was redeemed, a reversal on the day it was reversed (a 反结账 the
next morning lowers the next morning's figures, as the till's own day report does); "discount"
is the net discount given: the discount of the uses minus that of the reversals, in fen. A store
manager sees their stores only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.reports import Cell, Column, Period, Report
from voucherbridge.reports.common import (
    GROUP_COLUMNS,
    check_group_by,
    check_period,
    group_cells,
    group_key,
    sort_rows,
    totals_of,
    window_of,
)
from voucherbridge.reports.repository import ReportRepo, Window, as_int

GROUPS = ("store", "day", "platform", "listing", "terminal")
FIGURES = (
    Column("redeemed", "核销", "Redemptions", "count"),
    Column("reversed", "撤销", "Reversals", "count"),
    Column("net", "净核销", "Net", "count"),
    Column("discount_fen", "净抵扣金额", "Net discount", "fen"),
)


def redemption_rows(
    uow: UnitOfWork,
    *,
    actor: Actor,
    window: Window,
    keys: Sequence[str],
    names: dict[str, dict[int, str]] | None = None,
) -> list[dict[str, Cell]]:
    """The report's rows inside the caller's unit of work (the dashboard reuses them, and reads
    the dimensions' `names` once for all of its windows)."""
    repo = uow.repo(ReportRepo)
    uses = repo.redemptions(
        actor.merchant_id, window=window, keys=keys, store_ids=actor.store_ids, by="redeemed"
    )
    reversals = repo.redemptions(
        actor.merchant_id, window=window, keys=keys, store_ids=actor.store_ids, by="reversed"
    )
    names = names if names is not None else repo.names(actor.merchant_id)
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for kind, found in (("redeemed", uses), ("reversed", reversals)):
        for row in found:
            entry = merged.setdefault(
                group_key(keys, row), {"row": row, "redeemed": (0, 0), "reversed": (0, 0)}
            )
            entry[kind] = (as_int(row["n"]), as_int(row["discount_fen"]))
    rows: list[dict[str, Cell]] = []
    for entry in merged.values():
        (used, used_fen), (back, back_fen) = entry["redeemed"], entry["reversed"]
        cells = group_cells(keys, entry["row"], names)
        cells.update(
            redeemed=used, reversed=back, net=used - back, discount_fen=used_fen - back_fen
        )
        rows.append(cells)
    return sort_rows(rows, keys)


def redemptions_report(
    uow: UnitOfWork, *, actor: Actor, period: Period, group_by: Sequence[str]
) -> Report:
    """Uses and reversals in the period (days in the merchant's zone), grouped by `group_by`."""
    actor.require_manager()
    check_period(period)
    keys = check_group_by(group_by, GROUPS)
    with uow:
        zone = merchant_zone(uow, actor.merchant_id)
        rows = redemption_rows(uow, actor=actor, window=window_of(period, zone), keys=keys)
    return Report(
        title_zh="核销报表",
        title_en="Redemptions",
        columns=(*(GROUP_COLUMNS[k] for k in keys), *FIGURES),
        rows=tuple(rows),
        totals=totals_of(rows, FIGURES),
    )
