"""Codes and their orders and history: issuing writes them, scans and reports read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Code, CodeEvent
from voucherbridge.domain.vouchers import CodeStatus, can_transition

# One order's codes in one INSERT (insertmanyvalues) with their ids back. Not sorted by the
# parameters' order (on SQLite that sends one INSERT per row): each id comes with its code.
_INSERT_CODES = t.codes.insert().returning(t.codes.c.id, t.codes.c.code)
# A purchase's statements, built once (one built per call cost its cache key every call).
_INSERT_EVENTS = t.code_events.insert()
_TAKEN = select(t.codes.c.code).where(t.codes.c.code.in_(bindparam("codes", expanding=True)))
_FIND_ORDER = Prepared(
    select(t.code_orders.c.id).where(
        t.code_orders.c.merchant_id == bindparam("merchant_id"),
        t.code_orders.c.platform == bindparam("platform"),
        t.code_orders.c.platform_order_id == bindparam("order"),
    )
)


def _event_row(merchant_id: int, code_id: int, event: CodeEvent) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "code_id": code_id,
        "event": event.event,
        "at": event.at,
        "store_id": event.store_id,
        "order_id": event.order_id,
        "redemption_id": event.redemption_id,
        "actor": event.actor,
        "detail": event.detail,
    }


class CodeRepo(Repository):
    def find(self, merchant_id: int, code: str) -> Code | None:
        row = st.CODE_BY_VALUE.run(self.conn, {"code": code, "merchant_id": merchant_id}).first()
        return mapping.code(row) if row else None

    def get(self, merchant_id: int, code_id: int) -> Code | None:
        row = self.conn.execute(
            select(t.codes).where(t.codes.c.id == code_id, t.codes.c.merchant_id == merchant_id)
        ).first()
        return mapping.code(row) if row else None

    def taken(self, codes: Sequence[str]) -> set[str]:
        """Which of these code values some code already has (one statement for a batch)."""
        if not codes:
            return set()
        rows = self.conn.execute(_TAKEN, {"codes": list(codes)})
        return {str(r.code) for r in rows}

    def find_order(self, merchant_id: int, platform: str, platform_order_id: str) -> int | None:
        params = {"merchant_id": merchant_id, "platform": platform, "order": platform_order_id}
        value = _FIND_ORDER.run(self.conn, params).scalar()
        return int(value) if value is not None else None

    def merchant_of_platform_order(self, platform: str, platform_order_id: str) -> int | None:
        """Whose order a platform's callback names (before its signature can be checked)."""
        value = self.conn.execute(
            select(t.code_orders.c.merchant_id)
            .where(
                t.code_orders.c.platform == platform,
                t.code_orders.c.platform_order_id == platform_order_id,
            )
            .limit(1)
        ).scalar()
        return int(value) if value is not None else None

    def add_order(
        self,
        merchant_id: int,
        *,
        listing_id: int,
        platform: str,
        platform_order_id: str,
        quantity: int,
        buyer_openid: str | None,
        now: datetime,
    ) -> int:
        return self._insert(
            t.code_orders,
            {
                "merchant_id": merchant_id,
                "listing_id": listing_id,
                "platform": platform,
                "platform_order_id": platform_order_id,
                "quantity": quantity,
                "buyer_openid": buyer_openid,
                "created_at": now,
            },
        )

    def add(
        self,
        merchant_id: int,
        *,
        code: str,
        listing_id: int,
        template_id: int,
        code_order_id: int,
        platform: str,
        valid_from: datetime,
        valid_until: datetime,
        now: datetime,
    ) -> int:
        return self.add_many(
            merchant_id,
            [code],
            listing_id=listing_id,
            template_id=template_id,
            code_order_id=code_order_id,
            platform=platform,
            valid_from=valid_from,
            valid_until=valid_until,
            now=now,
        )[0]

    def add_many(
        self,
        merchant_id: int,
        codes: Sequence[str],
        *,
        listing_id: int,
        template_id: int,
        code_order_id: int,
        platform: str,
        valid_from: datetime,
        valid_until: datetime,
        now: datetime,
    ) -> list[int]:
        """Insert one order's codes in one statement; their ids, in the order of `codes`."""
        rows = [
            {
                "merchant_id": merchant_id,
                "code": code,
                "listing_id": listing_id,
                "template_id": template_id,
                "code_order_id": code_order_id,
                "platform": platform,
                "status": CodeStatus.ISSUED.value,
                "version": 1,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "issued_at": now,
            }
            for code in codes
        ]
        if not rows:
            return []
        ids = {str(r.code): int(r.id) for r in self.conn.execute(_INSERT_CODES, rows)}
        return [ids[code] for code in codes]

    def of_order(self, code_order_id: int) -> list[Code]:
        query = (
            select(t.codes).where(t.codes.c.code_order_id == code_order_id).order_by(t.codes.c.id)
        )
        return [mapping.code(r) for r in self.conn.execute(query)]

    def compare_and_set(
        self, code_id: int, expected: CodeStatus, target: CodeStatus, now: datetime
    ) -> bool:
        """One statement decides who wins: 0 rows means someone else moved the code first.

        Only the moves of the code's one state machine (domain/vouchers.py) are built at all.
        """
        if not can_transition(expected, target):
            raise ValueError(f"a code never moves from {expected} to {target}")
        statement = st.code_transition(expected.value, target.value)
        params: dict[str, Any] = {"b_code_id": code_id}
        if target in (CodeStatus.REDEEMED, CodeStatus.VOIDED):
            params["b_now"] = now
        return statement.run(self.conn, params).rowcount == 1

    def add_event(self, merchant_id: int, code_id: int, event: CodeEvent) -> None:
        self._insert(t.code_events, _event_row(merchant_id, code_id, event))

    def add_events(self, merchant_id: int, events: Sequence[tuple[int, CodeEvent]]) -> None:
        """Several codes' events in one statement (a purchase's `issued` events)."""
        if events:
            self.conn.execute(
                _INSERT_EVENTS,
                [_event_row(merchant_id, code_id, event) for code_id, event in events],
            )

    def events(self, merchant_id: int, code_id: int) -> list[CodeEvent]:
        rows = self.conn.execute(
            select(t.code_events)
            .where(t.code_events.c.merchant_id == merchant_id, t.code_events.c.code_id == code_id)
            .order_by(t.code_events.c.id)
        )
        return [
            CodeEvent(r.event, r.at, r.store_id, r.order_id, r.redemption_id, r.actor, r.detail)
            for r in rows
        ]
