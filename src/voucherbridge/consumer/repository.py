"""The codes a consumer bought: codes whose order's buyer_openid is theirs, within one merchant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository


@dataclass(frozen=True, slots=True)
class OwnedCode:
    code: str
    listing_title: str
    template_id: int
    platform: str
    status: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    redeemed_at: datetime | None
    voided_at: datetime | None


_COLUMNS = (
    t.codes.c.code,
    t.listings.c.title.label("listing_title"),
    t.codes.c.template_id,
    t.codes.c.platform,
    t.codes.c.status,
    t.codes.c.valid_from,
    t.codes.c.valid_until,
    t.codes.c.issued_at,
    t.codes.c.redeemed_at,
    t.codes.c.voided_at,
)
# At most this many codes on the page: a consumer with more is not a person.
LIMIT = 500


class ConsumerCodeRepo(Repository):
    def owned(self, merchant_id: int, openid: str, code: str | None = None) -> list[OwnedCode]:
        """The consumer's codes of this merchant (one `code` when given), newest first."""
        query = (
            select(*_COLUMNS)
            .select_from(
                t.codes.join(t.code_orders, t.code_orders.c.id == t.codes.c.code_order_id).join(
                    t.listings, t.listings.c.id == t.codes.c.listing_id
                )
            )
            .where(
                t.code_orders.c.merchant_id == merchant_id,
                t.code_orders.c.buyer_openid == openid,
                t.codes.c.merchant_id == merchant_id,
            )
            .order_by(t.codes.c.id.desc())
            .limit(LIMIT)
        )
        if code is not None:
            query = query.where(t.codes.c.code == code)
        return [OwnedCode(**row._mapping) for row in self.conn.execute(query)]
