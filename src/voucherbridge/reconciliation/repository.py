"""Reconciliation queries: our uses of a store's day, the runs and their lines, nightly claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

_runs, _lines, _nightly = t.reconciliation_runs, t.reconciliation_lines, t.reconciliation_nightly


class ReconciliationRepo(Repository):
    def uses(
        self, merchant_id: int, store_id: int, platform: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """Our redemptions of `platform` at the store in [start, end), live or undone, with
        the price the voucher sells at (what a group-buy platform settles)."""
        r, tpl = t.redemptions, t.voucher_templates
        query = (
            select(
                r.c.public_id,
                r.c.code,
                r.c.status,
                r.c.discount_fen,
                r.c.redeemed_at,
                r.c.reversed_at,
                tpl.c.price_fen,
            )
            .join(tpl, tpl.c.id == r.c.template_id)
            .where(
                r.c.merchant_id == merchant_id,
                r.c.store_id == store_id,
                r.c.platform == platform,
                r.c.redeemed_at >= start,
                r.c.redeemed_at < end,
            )
            .order_by(r.c.redeemed_at, r.c.id)
        )
        return [dict(row._mapping) for row in self.conn.execute(query)]

    # ---- runs ----------------------------------------------------------------------------
    def add_run(self, values: dict[str, Any], lines: Sequence[dict[str, Any]]) -> int:
        run_id = self._insert(_runs, values)
        if lines:
            self.conn.execute(insert(_lines), [{**line, "run_id": run_id} for line in lines])
        return run_id

    def run(self, merchant_id: int, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(_runs).where(_runs.c.merchant_id == merchant_id, _runs.c.id == run_id)
        ).first()
        return dict(row._mapping) if row else None

    def lines(self, run_id: int) -> list[dict[str, Any]]:
        query = select(_lines).where(_lines.c.run_id == run_id).order_by(_lines.c.id)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def runs(
        self,
        merchant_id: int,
        *,
        day: date | None,
        store_ids: frozenset[int] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Runs newest first, of one day or all, of some stores or all."""
        query = select(_runs).where(_runs.c.merchant_id == merchant_id)
        if day is not None:
            query = query.where(_runs.c.day == day)
        if store_ids is not None:
            query = query.where(_runs.c.store_id.in_(sorted(store_ids)))
        query = query.order_by(_runs.c.id.desc()).limit(limit)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    # ---- the nightly job -----------------------------------------------------------------
    def merchants(self) -> list[tuple[int, str]]:
        """Active merchants and their zones."""
        m = t.merchants
        rows = self.conn.execute(
            select(m.c.id, m.c.timezone).where(m.c.active.is_(True)).order_by(m.c.id)
        )
        return [(int(row.id), str(row.timezone or "Asia/Shanghai")) for row in rows]

    def bound(self, merchant_id: int) -> list[tuple[int, str]]:
        """(store id, platform) of every bound binding of the merchant's active stores."""
        b, s = t.bindings, t.stores
        rows = self.conn.execute(
            select(b.c.store_id, b.c.platform)
            .join(s, s.c.id == b.c.store_id)
            .where(b.c.merchant_id == merchant_id, b.c.status == "bound", s.c.active.is_(True))
            .order_by(b.c.store_id, b.c.platform)
        )
        return [(int(row.store_id), str(row.platform)) for row in rows]

    def claim_night(self, merchant_id: int, day: date, now: datetime, stale: datetime) -> bool:
        """Take the merchant's day for this process: the first insert wins; a claim left
        unfinished since before `stale` (its process died) is taken over by compare-and-set."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        inserted = self.conn.execute(
            dialect.insert(_nightly)
            .values(merchant_id=merchant_id, day=day, claimed_at=now, detail={})
            .on_conflict_do_nothing(index_elements=["merchant_id", "day"])
            .returning(_nightly.c.id)
        )
        if inserted.first() is not None:
            return True
        taken = self.conn.execute(
            update(_nightly)
            .where(
                _nightly.c.merchant_id == merchant_id,
                _nightly.c.day == day,
                and_(_nightly.c.finished_at.is_(None), _nightly.c.claimed_at < stale),
            )
            .values(claimed_at=now)
        )
        return taken.rowcount == 1

    def finish_night(
        self, merchant_id: int, day: date, now: datetime, detail: dict[str, Any]
    ) -> None:
        self.conn.execute(
            update(_nightly)
            .where(_nightly.c.merchant_id == merchant_id, _nightly.c.day == day)
            .values(finished_at=now, detail=detail)
        )

    def night(self, merchant_id: int, day: date) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(_nightly).where(_nightly.c.merchant_id == merchant_id, _nightly.c.day == day)
        ).first()
        return dict(row._mapping) if row else None
