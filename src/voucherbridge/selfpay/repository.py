"""Queries of self-pay: a store's tables (by their QR token) and the online payments of bills."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.engine import make_url

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

CHANNEL = "vb_online_payments"  # PostgreSQL NOTIFY channel: a payment of a store was recorded
LISTEN = f"LISTEN {CHANNEL}"  # what the cashier pages' listener runs (selfpay/live.py)


def libpq_conninfo(database_url: str) -> str:
    """The PostgreSQL URL of our settings as psycopg connects to it (no SQLAlchemy driver)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


@dataclass(frozen=True, slots=True)
class StoreTable:
    id: int
    merchant_id: int
    store_id: int
    table_no: str
    token: str
    active: bool


@dataclass(frozen=True, slots=True)
class OnlinePayment:
    id: int
    merchant_id: int
    store_id: int
    order_id: int
    table_no: str
    out_trade_no: str
    amount_fen: int
    openid: str
    prepay_id: str | None
    status: str
    transaction_id: str | None
    created_at: datetime
    paid_at: datetime | None


def _table(row: object) -> StoreTable:
    r = row._mapping  # type: ignore[attr-defined]
    return StoreTable(
        r["id"], r["merchant_id"], r["store_id"], r["table_no"], r["token"], bool(r["active"])
    )


def _payment(row: object) -> OnlinePayment:
    r = row._mapping  # type: ignore[attr-defined]
    return OnlinePayment(
        r["id"],
        r["merchant_id"],
        r["store_id"],
        r["order_id"],
        r["table_no"],
        r["out_trade_no"],
        int(r["amount_fen"]),
        r["openid"],
        r["prepay_id"],
        r["status"],
        r["transaction_id"],
        r["created_at"],
        r["paid_at"],
    )


class StoreTableRepo(Repository):
    def of_store(self, merchant_id: int, store_id: int) -> list[StoreTable]:
        rows = self.conn.execute(
            select(t.store_tables)
            .where(
                t.store_tables.c.merchant_id == merchant_id, t.store_tables.c.store_id == store_id
            )
            .order_by(func.length(t.store_tables.c.table_no), t.store_tables.c.table_no)
        )
        return [_table(r) for r in rows]

    def by_token(self, token: str) -> StoreTable | None:
        row = self.conn.execute(
            select(t.store_tables).where(t.store_tables.c.token == token)
        ).first()
        return _table(row) if row is not None else None

    def add_missing(
        self, merchant_id: int, store_id: int, rows: Sequence[tuple[str, str]], now: datetime
    ) -> int:
        """Add (table_no, token) rows whose table_no the store lacks; a table that exists (even
        disabled) is turned active again. Returns how many were added."""
        known = {r.table_no: r for r in self.of_store(merchant_id, store_id)}
        fresh = [(no, token) for no, token in rows if no not in known]
        if fresh:
            self.conn.execute(
                insert(t.store_tables),
                [
                    {
                        "merchant_id": merchant_id,
                        "store_id": store_id,
                        "table_no": no,
                        "token": token,
                        "active": True,
                        "created_at": now,
                    }
                    for no, token in fresh
                ],
            )
        again = [known[no].id for no, _ in rows if no in known and not known[no].active]
        if again:
            self.set_active(merchant_id, store_id, again, True)
        return len(fresh)

    def set_active(
        self, merchant_id: int, store_id: int, table_ids: Sequence[int], active: bool
    ) -> int:
        result = self.conn.execute(
            update(t.store_tables)
            .where(
                t.store_tables.c.merchant_id == merchant_id,
                t.store_tables.c.store_id == store_id,
                t.store_tables.c.id.in_(list(table_ids)),
            )
            .values(active=active)
        )
        return int(result.rowcount)


class OnlinePaymentRepo(Repository):
    def add(self, values: dict[str, object]) -> int:
        return self._insert(t.online_payments, values)

    def set_prepay(self, payment_id: int, prepay_id: str) -> None:
        self.conn.execute(
            update(t.online_payments)
            .where(t.online_payments.c.id == payment_id)
            .values(prepay_id=prepay_id)
        )

    def by_trade_no(self, out_trade_no: str) -> OnlinePayment | None:
        row = self.conn.execute(
            select(t.online_payments).where(t.online_payments.c.out_trade_no == out_trade_no)
        ).first()
        return _payment(row) if row is not None else None

    def reusable(
        self, merchant_id: int, order_id: int, amount_fen: int, openid: str, since: datetime
    ) -> OnlinePayment | None:
        """An unpaid order placed lately for the same bill, amount and payer (a second tap)."""
        row = self.conn.execute(
            select(t.online_payments)
            .where(
                t.online_payments.c.merchant_id == merchant_id,
                t.online_payments.c.order_id == order_id,
                t.online_payments.c.amount_fen == amount_fen,
                t.online_payments.c.openid == openid,
                t.online_payments.c.status == "created",
                t.online_payments.c.prepay_id.is_not(None),
                t.online_payments.c.created_at >= since,
            )
            .order_by(t.online_payments.c.id.desc())
            .limit(1)
        ).first()
        return _payment(row) if row is not None else None

    def mark(self, payment_id: int, *, status: str, transaction_id: str, paid_at: datetime) -> bool:
        """created -> paid | refund_due in one statement; False: a notify got there first."""
        result = self.conn.execute(
            update(t.online_payments)
            .where(t.online_payments.c.id == payment_id, t.online_payments.c.status == "created")
            .values(status=status, transaction_id=transaction_id, paid_at=paid_at)
        )
        return result.rowcount == 1

    def pending(self, merchant_id: int, store_id: int) -> list[OnlinePayment]:
        """Paid online, their bill still open at the till: what the cashier is to settle."""
        rows = self.conn.execute(
            select(t.online_payments)
            .join(t.orders, t.orders.c.id == t.online_payments.c.order_id)
            .join(  # still on the bill: a 反结账 voids it and the alert with it
                t.tenders,
                and_(
                    t.tenders.c.order_id == t.online_payments.c.order_id,
                    t.tenders.c.reference == t.online_payments.c.transaction_id,
                    t.tenders.c.status == "active",
                ),
            )
            .where(
                t.online_payments.c.merchant_id == merchant_id,
                t.online_payments.c.store_id == store_id,
                t.online_payments.c.status == "paid",
                and_(t.orders.c.status == "open", t.orders.c.merchant_id == merchant_id),
            )
            .order_by(t.online_payments.c.id)
        )
        return [_payment(r) for r in rows]

    def of_order(self, merchant_id: int, order_id: int) -> list[OnlinePayment]:
        rows = self.conn.execute(
            select(t.online_payments)
            .where(
                t.online_payments.c.merchant_id == merchant_id,
                t.online_payments.c.order_id == order_id,
            )
            .order_by(t.online_payments.c.id)
        )
        return [_payment(r) for r in rows]

    def signal(self, store_id: int) -> None:
        """Wake the cashier pages of the store in every API process (PostgreSQL: NOTIFY, sent
        when this transaction commits; SQLite: they read the table on their own)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": str(store_id)},
            )
