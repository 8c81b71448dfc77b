"""Orders, tenders, redemptions and idempotency keys: the scan hot path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import (
    IdempotencyRecord,
    Order,
    Redemption,
    Tender,
)


class OrderRepo(Repository):
    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        terminal_id: int | None,
        table_no: str,
        guests: int,
        service_fee_fen: int,
        total_fen: int,
        lines: Sequence[OrderLine],
        now: datetime,
        order_no_prefix: str,
    ) -> int:
        order_id = self._insert(
            t.orders,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "terminal_id": terminal_id,
                "order_no": "",
                "table_no": table_no,
                "guests": guests,
                "service_fee_fen": service_fee_fen,
                "total_fen": total_fen,
                "status": "open",
                "version": 1,
                "opened_at": now,
            },
        )
        # 单号 like the seed's 20200525000: the local date, then the order id.
        order_no = f"{order_no_prefix}{order_id:06d}"
        st.SET_ORDER_NO.run(self.conn, {"b_id": order_id, "b_no": order_no})
        self.conn.execute(st.INSERT_ORDER_LINES, mapping.order_line_rows(order_id, lines))
        return order_id

    def get(self, merchant_id: int, order_id: int) -> Order | None:
        ids = {"merchant_id": merchant_id, "order_id": order_id}
        row = st.ORDER.run(self.conn, ids).first()
        if row is None:
            return None
        lines = st.ORDER_LINES.run(self.conn, {"order_id": order_id})
        return mapping.order(row, tuple(mapping.order_line(r) for r in lines))

    def close(
        self, merchant_id: int, order_id: int, *, now: datetime, cashier: str, change_fen: int
    ) -> bool:
        """open → closed in one statement; 0 rows means it was not open."""
        result = self.conn.execute(
            update(t.orders)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.id == order_id,
                t.orders.c.status == "open",
            )
            .values(
                status="closed",
                closed_at=now,
                cashier=cashier,
                change_fen=change_fen,
                version=t.orders.c.version + 1,
            )
        )
        return result.rowcount == 1

    def reopen(self, merchant_id: int, order_id: int) -> bool:
        """closed → open (反结账); 0 rows means it was not closed."""
        result = self.conn.execute(
            update(t.orders)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.id == order_id,
                t.orders.c.status == "closed",
            )
            .values(status="open", closed_at=None, change_fen=0, version=t.orders.c.version + 1)
        )
        return result.rowcount == 1

    def count_print(self, merchant_id: int, order_id: int) -> int:
        """Add one to the print counter and return it (第N次打印)."""
        self.conn.execute(
            update(t.orders)
            .where(t.orders.c.merchant_id == merchant_id, t.orders.c.id == order_id)
            .values(print_count=t.orders.c.print_count + 1)
        )
        value = self.conn.execute(
            select(t.orders.c.print_count).where(t.orders.c.id == order_id)
        ).scalar_one()
        return int(value)

    def add_tenders(self, order_id: int, tenders: Sequence[Tender], now: datetime) -> None:
        self.conn.execute(
            insert(t.tenders),
            [
                {
                    "order_id": order_id,
                    "seq": tender.seq,
                    "type": tender.type,
                    "amount_fen": tender.amount_fen,
                    "reference": tender.reference,
                    "member": tender.member,
                    "status": "active",
                    "created_at": now,
                }
                for tender in tenders
            ],
        )

    def tenders(self, order_id: int) -> list[Tender]:
        rows = self.conn.execute(
            select(t.tenders)
            .where(t.tenders.c.order_id == order_id, t.tenders.c.status == "active")
            .order_by(t.tenders.c.seq)
        )
        return [Tender(r.seq, r.type, r.amount_fen, r.reference, r.member) for r in rows]

    def void_tenders(self, order_id: int) -> None:
        self.conn.execute(
            update(t.tenders)
            .where(t.tenders.c.order_id == order_id, t.tenders.c.status == "active")
            .values(status="voided")
        )

    def lock_open(self, merchant_id: int, order_id: int) -> bool:
        """Bump the order's version: a row lock that serialises vouchers on one order."""
        ids = {"b_merchant_id": merchant_id, "b_order_id": order_id}
        return st.LOCK_OPEN_ORDER.run(self.conn, ids).rowcount == 1


class RedemptionRepo(Repository):
    def add(self, values: dict[str, Any]) -> int:
        return self._insert(t.redemptions, values)

    def get(self, merchant_id: int, public_id: str) -> Redemption | None:
        row = self.conn.execute(
            select(t.redemptions).where(
                t.redemptions.c.merchant_id == merchant_id,
                t.redemptions.c.public_id == public_id,
            )
        ).first()
        return mapping.redemption(row) if row else None

    def by_id(self, redemption_id: int) -> Redemption | None:
        row = st.REDEMPTION_BY_ID.run(self.conn, {"redemption_id": redemption_id}).first()
        return mapping.redemption(row) if row else None

    def active_for_order(self, order_id: int) -> list[Redemption]:
        rows = st.ACTIVE_REDEMPTIONS_OF_ORDER.run(self.conn, {"order_id": order_id})
        return [mapping.redemption(r) for r in rows]

    def latest_for_code(self, code_id: int) -> Redemption | None:
        row = st.LATEST_REDEMPTION_OF_CODE.run(self.conn, {"code_id": code_id}).first()
        return mapping.redemption(row) if row else None

    def mark_reversed(self, redemption_id: int, now: datetime, reason: str | None) -> bool:
        result = self.conn.execute(
            update(t.redemptions)
            .where(t.redemptions.c.id == redemption_id, t.redemptions.c.status == "active")
            .values(status="reversed", reversed_at=now, reverse_reason=reason)
        )
        return result.rowcount == 1


class IdempotencyRepo(Repository):
    def get(self, terminal_id: int, key: str) -> IdempotencyRecord | None:
        row = st.IDEMPOTENCY.run(self.conn, {"terminal_id": terminal_id, "key": key}).first()
        if row is None:
            return None
        return IdempotencyRecord(
            row.terminal_id, row.key, row.request_hash, row.redemption_id, row.response
        )

    def add(self, record: IdempotencyRecord, now: datetime) -> bool:
        """Store the answer under its key; False when another request stored one first.

        ON CONFLICT DO NOTHING: on PostgreSQL an insert racing an uncommitted one of the same
        key waits for it, then does nothing if it committed, so the loser's transaction stays
        usable (no IntegrityError) and the caller can roll back and read the winner's row.
        """
        values = {
            "terminal_id": record.terminal_id,
            "key": record.key,
            "request_hash": record.request_hash,
            "redemption_id": record.redemption_id,
            "response": record.response,
            "created_at": now,
        }
        return _REMEMBER[self.conn.dialect.name].run(self.conn, values).first() is not None

    def hold(self, terminal_id: int, key: str, wait_s: float) -> bool:
        """Hold back every other request of this key until this transaction ends; False when
        the holder did not let go within `wait_s`.

        PostgreSQL: a transaction-scoped advisory lock on (terminal, key), in a key space of its
        own, across API processes. SQLite: nothing to do here (the caller's process-local lock
        is the whole claim; one file database has one host).
        """
        if self.conn.dialect.name != "postgresql":
            return True
        self.conn.execute(_LOCK_WAIT, {"ms": str(max(1, int(wait_s * 1000)))})
        try:
            self.conn.execute(_LOCK_KEY, {"key": f"{terminal_id}:{key}"})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                return False
            raise
        return True


# Two-key advisory locks live apart from one-key ones; 0x49444D50 spells "IDMP".
# Built once per dialect: every redeem with a key runs it.
_REMEMBER = {
    name: Prepared(
        dialect.insert(t.idempotency_keys)
        .on_conflict_do_nothing(index_elements=["terminal_id", "key"])
        .returning(t.idempotency_keys.c.id)
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_LOCK_KEY = text("SELECT pg_advisory_xact_lock(1229213008, hashtext(:key))")
_LOCK_WAIT = text("SELECT set_config('lock_timeout', :ms, true)")
_LOCK_NOT_AVAILABLE = "55P03"
