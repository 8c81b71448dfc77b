"""Voucher templates, listings and codes with their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import (
    Code,
    CodeEvent,
    Listing,
    TemplateRow,
)
from voucherbridge.domain.vouchers import CodeStatus, can_transition


class TemplateRepo(Repository):
    def get(self, merchant_id: int, template_id: int) -> TemplateRow | None:
        row = self.conn.execute(
            st.TEMPLATE, {"merchant_id": merchant_id, "template_id": template_id}
        ).first()
        return mapping.template(row) if row else None

    def list(self, merchant_id: int) -> list[TemplateRow]:
        query = (
            select(t.voucher_templates)
            .where(t.voucher_templates.c.merchant_id == merchant_id)
            .order_by(t.voucher_templates.c.id)
        )
        return [mapping.template(r) for r in self.conn.execute(query)]

    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int:
        return self._insert(
            t.voucher_templates,
            {**values, "merchant_id": merchant_id, "created_at": now, "updated_at": now},
        )

    def update(
        self, merchant_id: int, template_id: int, values: dict[str, Any], now: datetime
    ) -> None:
        self.conn.execute(
            update(t.voucher_templates)
            .where(
                t.voucher_templates.c.merchant_id == merchant_id,
                t.voucher_templates.c.id == template_id,
            )
            .values(**values, updated_at=now)
        )


class ListingRepo(Repository):
    def get(self, merchant_id: int, listing_id: int) -> Listing | None:
        row = self.conn.execute(
            st.LISTING, {"merchant_id": merchant_id, "listing_id": listing_id}
        ).first()
        return mapping.listing(row) if row else None

    def by_public_id(self, public_id: str) -> Listing | None:
        row = self.conn.execute(
            select(t.listings).where(t.listings.c.public_id == public_id)
        ).first()
        return mapping.listing(row) if row else None

    def list(self, merchant_id: int) -> list[Listing]:
        query = (
            select(t.listings)
            .where(t.listings.c.merchant_id == merchant_id)
            .order_by(t.listings.c.id)
        )
        return [mapping.listing(r) for r in self.conn.execute(query)]

    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int:
        return self._insert(t.listings, {**values, "merchant_id": merchant_id, "created_at": now})

    def update(self, merchant_id: int, listing_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.listings)
            .where(t.listings.c.merchant_id == merchant_id, t.listings.c.id == listing_id)
            .values(**values)
        )

    def unused_codes(self, merchant_id: int, listing_ids: Sequence[int], now: datetime) -> int:
        """How many codes sold under these listings are still unused and not expired."""
        if not listing_ids:
            return 0
        c = t.codes.c
        value = self.conn.execute(
            select(func.count())
            .select_from(t.codes)
            .where(
                c.merchant_id == merchant_id,
                c.listing_id.in_(sorted(listing_ids)),
                c.status == "issued",
                c.valid_until > now,
            )
        ).scalar()
        return int(value or 0)

    def of_template(self, merchant_id: int, template_id: int) -> Sequence[Listing]:
        query = (
            select(t.listings)
            .where(t.listings.c.merchant_id == merchant_id, t.listings.c.template_id == template_id)
            .order_by(t.listings.c.id)
        )
        return [mapping.listing(r) for r in self.conn.execute(query)]

    def has_codes(self, listing_id: int) -> bool:
        return bool(
            self.conn.execute(select(exists().where(t.codes.c.listing_id == listing_id))).scalar()
        )

    def for_platform_product(
        self, merchant_id: int, platform: str, product_id: str
    ) -> Listing | None:
        """The platform-code listing of a platform product: an active one first (newest wins),
        else the newest disabled one (codes the platform sold before keep redeeming)."""
        row = self.conn.execute(
            select(t.listings)
            .where(
                t.listings.c.merchant_id == merchant_id,
                t.listings.c.platform == platform,
                t.listings.c.platform_product_id == product_id,
                t.listings.c.code_type == "platform",
            )
            .order_by(t.listings.c.active.desc(), t.listings.c.id.desc())
        ).first()
        return mapping.listing(row) if row else None


class CodeRepo(Repository):
    def find(self, merchant_id: int, code: str) -> Code | None:
        row = self.conn.execute(
            st.CODE_BY_VALUE, {"code": code, "merchant_id": merchant_id}
        ).first()
        return mapping.code(row) if row else None

    def get(self, merchant_id: int, code_id: int) -> Code | None:
        row = self.conn.execute(
            select(t.codes).where(t.codes.c.id == code_id, t.codes.c.merchant_id == merchant_id)
        ).first()
        return mapping.code(row) if row else None

    def exists(self, code: str) -> bool:
        return bool(self.conn.execute(select(exists().where(t.codes.c.code == code))).scalar())

    def find_order(self, merchant_id: int, platform: str, platform_order_id: str) -> int | None:
        value = self.conn.execute(
            select(t.code_orders.c.id).where(
                t.code_orders.c.merchant_id == merchant_id,
                t.code_orders.c.platform == platform,
                t.code_orders.c.platform_order_id == platform_order_id,
            )
        ).scalar()
        return int(value) if value is not None else None

    def platform_order_id(self, code_order_id: int) -> str | None:
        value = self.conn.execute(
            select(t.code_orders.c.platform_order_id).where(t.code_orders.c.id == code_order_id)
        ).scalar()
        return str(value) if value is not None else None

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
        return self._insert(
            t.codes,
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
            },
        )

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
        return self.conn.execute(statement, params).rowcount == 1

    def add_event(self, merchant_id: int, code_id: int, event: CodeEvent) -> None:
        self._insert(
            t.code_events,
            {
                "merchant_id": merchant_id,
                "code_id": code_id,
                "event": event.event,
                "at": event.at,
                "store_id": event.store_id,
                "order_id": event.order_id,
                "redemption_id": event.redemption_id,
                "actor": event.actor,
                "detail": event.detail,
            },
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
