"""The item catalogue (菜品 / 商品) of each merchant: prices that bound what vouchers take."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from voucherbridge.db import mapping
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Item


class ItemRepo(Repository):
    def list(self, merchant_id: int) -> list[Item]:
        query = select(t.items).where(t.items.c.merchant_id == merchant_id).order_by(t.items.c.id)
        return [mapping.item(r) for r in self.conn.execute(query)]

    def prices(self, merchant_id: int, item_codes: Iterable[str]) -> dict[str, int]:
        """The catalogue's unit price (fen) of each of `item_codes` that the merchant sells."""
        wanted = sorted(set(item_codes))
        if not wanted:
            return {}
        query = select(t.items.c.item_code, t.items.c.unit_price_fen).where(
            t.items.c.merchant_id == merchant_id, t.items.c.item_code.in_(wanted)
        )
        return {row.item_code: int(row.unit_price_fen) for row in self.conn.execute(query)}

    def units(self, merchant_id: int, item_codes: Iterable[str]) -> dict[str, str]:
        """The catalogue's unit (份, 条, 瓶 ...) of each of `item_codes` the merchant has."""
        wanted = sorted(set(item_codes))
        if not wanted:
            return {}
        query = select(t.items.c.item_code, t.items.c.unit).where(
            t.items.c.merchant_id == merchant_id, t.items.c.item_code.in_(wanted)
        )
        return {row.item_code: str(row.unit) for row in self.conn.execute(query)}

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
