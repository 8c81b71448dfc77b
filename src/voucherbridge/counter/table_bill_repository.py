"""Queries of the bill at a table: the newest open order of a store's table (self-pay)."""

from __future__ import annotations

from sqlalchemy import func, select

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository


class TableBillRepo(Repository):
    def newest_open(self, merchant_id: int, store_id: int, table_no: str) -> int | None:
        """The id of the table's newest open order (ix_orders_store_status_opened_at)."""
        return self.conn.execute(
            select(t.orders.c.id)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.store_id == store_id,
                t.orders.c.status == "open",
                func.upper(t.orders.c.table_no) == table_no.upper(),
            )
            .order_by(t.orders.c.opened_at.desc(), t.orders.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def next_tender_seq(self, order_id: int) -> int:
        """One above the highest tender number the order has used (voided ones too)."""
        top = self.conn.execute(
            select(func.max(t.tenders.c.seq)).where(t.tenders.c.order_id == order_id)
        ).scalar_one_or_none()
        return int(top or 0) + 1
