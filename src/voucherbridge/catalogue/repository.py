"""Voucher templates and listings (codes: code_repository.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Listing, TemplateRow


class TemplateRepo(Repository):
    def get(self, merchant_id: int, template_id: int) -> TemplateRow | None:
        ids = {"merchant_id": merchant_id, "template_id": template_id}
        row = st.TEMPLATE.run(self.conn, ids).first()
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


# A purchase callback names its listing by public id: built once.
_BY_PUBLIC_ID = Prepared(select(t.listings).where(t.listings.c.public_id == bindparam("public_id")))


class ListingRepo(Repository):
    def get(self, merchant_id: int, listing_id: int) -> Listing | None:
        ids = {"merchant_id": merchant_id, "listing_id": listing_id}
        row = st.LISTING.run(self.conn, ids).first()
        return mapping.listing(row) if row else None

    def by_public_id(self, public_id: str) -> Listing | None:
        row = _BY_PUBLIC_ID.run(self.conn, {"public_id": public_id}).first()
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
