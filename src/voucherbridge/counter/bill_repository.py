"""Open bills (挂单) of a store and the replacement of an open bill's lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import Order, Redemption

MAX_OPEN_BILLS = 200


class OpenBillRepo(Repository):
    """The bills a store keeps open (held or on screen), oldest first."""

    def open_in_store(self, merchant_id: int, store_id: int) -> list[Order]:
        """The store's open orders without their lines (ix_orders_store_status_opened_at)."""
        rows = self.conn.execute(
            select(t.orders)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.store_id == store_id,
                t.orders.c.status == "open",
            )
            .order_by(t.orders.c.opened_at, t.orders.c.id)
            .limit(MAX_OPEN_BILLS)
        )
        return [mapping.order(r, ()) for r in rows]

    def vouchers_of(self, order_ids: Sequence[int]) -> dict[int, list[Redemption]]:
        """The active redemptions of each order, in one query."""
        found: dict[int, list[Redemption]] = {i: [] for i in order_ids}
        if not order_ids:
            return found
        rows = self.conn.execute(
            select(t.redemptions)
            .where(
                t.redemptions.c.order_id.in_(list(order_ids)),
                t.redemptions.c.status == "active",
            )
            .order_by(t.redemptions.c.id)
        )
        for row in rows:
            found[row.order_id].append(mapping.redemption(row))
        return found

    def replace_lines(self, order_id: int, lines: Sequence[OrderLine], total_fen: int) -> None:
        """The order's lines become `lines` and its total `total_fen` (the caller holds the
        order's row lock and has checked it is open)."""
        self.conn.execute(delete(t.order_lines).where(t.order_lines.c.order_id == order_id))
        self.conn.execute(st.INSERT_ORDER_LINES, mapping.order_line_rows(order_id, lines))
        self.conn.execute(
            update(t.orders).where(t.orders.c.id == order_id).values(total_fen=total_fen)
        )
