"""The item catalogue (菜品 / 商品) of each merchant: prices that bound what vouchers take."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from voucherbridge.db import mapping
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Item

# Every order a POS opens looks its lines up (built once: an expanding IN is cached).
_OF_CODES = (
    t.items.c.merchant_id == bindparam("merchant_id"),
    t.items.c.item_code.in_(bindparam("codes", expanding=True)),
)
_PRICES = select(t.items.c.item_code, t.items.c.unit_price_fen).where(*_OF_CODES)
_UNITS = select(t.items.c.item_code, t.items.c.unit).where(*_OF_CODES)


class ItemRepo(Repository):
    def list(self, merchant_id: int) -> list[Item]:
        query = select(t.items).where(t.items.c.merchant_id == merchant_id).order_by(t.items.c.id)
        return [mapping.item(r) for r in self.conn.execute(query)]

    def prices(self, merchant_id: int, item_codes: Iterable[str]) -> dict[str, int]:
        """The catalogue's unit price (fen) of each of `item_codes` that the merchant sells."""
        wanted = sorted(set(item_codes))
        if not wanted:
            return {}
        rows = self.conn.execute(_PRICES, {"merchant_id": merchant_id, "codes": wanted})
        return {row.item_code: int(row.unit_price_fen) for row in rows}

    def units(self, merchant_id: int, item_codes: Iterable[str]) -> dict[str, str]:
        """The catalogue's unit (份, 条, 瓶 ...) of each of `item_codes` the merchant has."""
        wanted = sorted(set(item_codes))
        if not wanted:
            return {}
        rows = self.conn.execute(_UNITS, {"merchant_id": merchant_id, "codes": wanted})
        return {row.item_code: str(row.unit) for row in rows}

    def get(self, merchant_id: int, item_code: str) -> Item | None:
        row = self.conn.execute(
            select(t.items).where(
                t.items.c.merchant_id == merchant_id, t.items.c.item_code == item_code
            )
        ).first()
        return mapping.item(row) if row else None

    def add(
        self,
        merchant_id: int,
        *,
        item_code: str,
        name: str,
        unit: str,
        unit_price_fen: int,
        now: datetime,
    ) -> int:
        return self._insert(
            t.items,
            {
                "merchant_id": merchant_id,
                "item_code": item_code,
                "name": name,
                "unit": unit,
                "unit_price_fen": unit_price_fen,
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, item_code: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.items)
            .where(t.items.c.merchant_id == merchant_id, t.items.c.item_code == item_code)
            .values(**values)
        )
