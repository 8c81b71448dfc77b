"""Sales (供货订单): the vouchers sold per platform, listing, store and day.

A code is sold by a platform to a consumer, not to a store: until it is used it belongs to no
store. Grouped by "store", a code counts under the store that redeemed it (its standing, not
reversed, redemption), and every code not redeemed falls under one row labelled 未核销
("not redeemed"); the column is headed 核销门店 / "Redeeming store" to say so. A store manager
sees the codes of templates limited to their stores plus any code redeemed at one of them.

"Paid online" is the template's sale price per code (the price the listing sells at), "face
value" its face value; "refunded" counts codes voided by a platform refund, "unused" codes still
issued and not expired, "expiring in 7 days" the unused ones whose validity ends within a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.reports import Cell, Column, Period, Report
from voucherbridge.reports.common import (
    GROUP_COLUMNS,
    check_group_by,
    check_period,
    group_cells,
    sort_rows,
    totals_of,
    window_of,
)
from voucherbridge.reports.repository import ReportRepo, as_int

GROUPS = ("platform", "listing", "store", "day")
STORE_COLUMN = Column("store", "核销门店", "Redeeming store", "text")
FIGURES = (
    Column("sold", "售出券数", "Codes sold", "count"),
    Column("paid_fen", "线上实收", "Paid online", "fen"),
    Column("face_fen", "面值合计", "Face value", "fen"),
    Column("refunded", "已退款", "Refunded", "count"),
    Column("unused", "未使用", "Still unused", "count"),
    Column("expiring", "7天内到期", "Expiring in 7 days", "count"),
)


def sales_report(
    uow: UnitOfWork,
    *,
    actor: Actor,
    period: Period,
    group_by: Sequence[str],
    now: datetime | None = None,
) -> Report:
    """Codes sold in the period (by sale time, in the merchant's zone), grouped by `group_by`."""
    actor.require_manager()
    check_period(period)
    keys = check_group_by(group_by, GROUPS)
    moment = now or datetime.now(UTC)
    with uow:
        zone = merchant_zone(uow, actor.merchant_id)
        repo = uow.repo(ReportRepo)
        scope = repo.scope(actor.merchant_id, actor.store_ids)
        found = repo.sales(
            actor.merchant_id, window=window_of(period, zone), keys=keys, scope=scope, now=moment
        )
        names = repo.names(actor.merchant_id)
    rows: list[dict[str, Cell]] = []
    for row in found:
        cells = group_cells(keys, row, names)
        for figure in FIGURES:
            cells[figure.key] = as_int(row[figure.key])
        rows.append(cells)
    columns = (
        *(STORE_COLUMN if k == "store" else GROUP_COLUMNS[k] for k in keys),
        *FIGURES,
    )
    return Report(
        title_zh="供货订单",
        title_en="Sales",
        columns=columns,
        rows=tuple(sort_rows(rows, keys)),
        totals=totals_of(rows, FIGURES),
    )
