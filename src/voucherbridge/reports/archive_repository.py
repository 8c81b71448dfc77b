"""The lists' SQL: keyset pages (id descending, `id < after`), so page 10,000 costs what page 1
does; each page's codes carry their events from one more query over that page's ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.sql.elements import ColumnElement

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.reports.repository import ReportRepo, Scope

_c, _r, _ord, _ev = t.codes, t.redemptions, t.orders, t.code_events


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """A page request: `after` is the last id of the previous page; times are UTC bounds."""

    merchant_id: int
    after: int | None
    limit: int
    start: datetime | None = None
    end: datetime | None = None


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


class ArchiveRepo(Repository):
    def codes(
        self,
        q: ListQuery,
        *,
        scope: Scope | None,
        status: str | None,
        platform: str | None,
        listing_id: int | None,
        store_id: int | None,
        prefix: str | None,
    ) -> list[dict[str, Any]]:
        where: list[ColumnElement[bool]] = [_c.c.merchant_id == q.merchant_id]
        where += self.repo_scope(q.merchant_id, scope)
        if q.after is not None:
            where.append(_c.c.id < q.after)
        if status:
            where.append(_c.c.status == status)
        if platform:
            where.append(_c.c.platform == platform)
        if listing_id is not None:
            where.append(_c.c.listing_id == listing_id)
        if store_id is not None:
            where.append(
                exists().where(
                    _r.c.merchant_id == q.merchant_id,
                    _r.c.code_id == _c.c.id,
                    _r.c.store_id == store_id,
                )
            )
        if prefix:
            where.append(_c.c.code.like(_like_prefix(prefix), escape="\\"))
        if q.start is not None:
            where.append(_c.c.issued_at >= q.start)
        if q.end is not None:
            where.append(_c.c.issued_at < q.end)
        query = (
            select(
                _c.c.id,
                _c.c.code,
                _c.c.status,
                _c.c.platform,
                _c.c.listing_id,
                _c.c.issued_at,
                _c.c.valid_until,
                _c.c.redeemed_at,
            )
            .where(*where)
            .order_by(_c.c.id.desc())
            .limit(q.limit)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def repo_scope(self, merchant_id: int, scope: Scope | None) -> list[ColumnElement[bool]]:
        return ReportRepo(self.conn).code_scope(merchant_id, scope)

    def events(self, merchant_id: int, code_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The events of a page's codes, oldest first."""
        if not code_ids:
            return []
        query = (
            select(_ev.c.code_id, _ev.c.event, _ev.c.at, _ev.c.store_id)
            .where(_ev.c.merchant_id == merchant_id, _ev.c.code_id.in_(list(code_ids)))
            .order_by(_ev.c.code_id, _ev.c.id)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def redeeming_stores(self, merchant_id: int, code_ids: Sequence[int]) -> dict[int, int]:
        """The store of each code's standing (not reversed) redemption."""
        if not code_ids:
            return {}
        query = select(_r.c.code_id, _r.c.store_id).where(
            _r.c.merchant_id == merchant_id,
            _r.c.code_id.in_(list(code_ids)),
            _r.c.status == "active",
        )
        return {int(r.code_id): int(r.store_id) for r in self.conn.execute(query)}

    def orders(
        self,
        q: ListQuery,
        *,
        store_ids: frozenset[int] | None,
        store_id: int | None,
        status: str | None,
    ) -> list[dict[str, Any]]:
        where: list[ColumnElement[bool]] = [_ord.c.merchant_id == q.merchant_id]
        if store_ids is not None:
            where.append(_ord.c.store_id.in_(sorted(store_ids)))
        if q.after is not None:
            where.append(_ord.c.id < q.after)
        if store_id is not None:
            where.append(_ord.c.store_id == store_id)
        if status:
            where.append(_ord.c.status == status)
        if q.start is not None:
            where.append(_ord.c.opened_at >= q.start)
        if q.end is not None:
            where.append(_ord.c.opened_at < q.end)
        query = (
            select(
                _ord.c.id,
                _ord.c.order_no,
                _ord.c.store_id,
                _ord.c.terminal_id,
                _ord.c.table_no,
                _ord.c.guests,
                _ord.c.total_fen,
                _ord.c.status,
                _ord.c.cashier,
                _ord.c.opened_at,
                _ord.c.closed_at,
            )
            .where(*where)
            .order_by(_ord.c.id.desc())
            .limit(q.limit)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def redemptions(
        self,
        q: ListQuery,
        *,
        store_ids: frozenset[int] | None,
        store_id: int | None,
        platform: str | None,
        status: str | None,
        prefix: str | None,
    ) -> list[dict[str, Any]]:
        where: list[ColumnElement[bool]] = [_r.c.merchant_id == q.merchant_id]
        if store_ids is not None:
            where.append(_r.c.store_id.in_(sorted(store_ids)))
        if q.after is not None:
            where.append(_r.c.id < q.after)
        if store_id is not None:
            where.append(_r.c.store_id == store_id)
        if platform:
            where.append(_r.c.platform == platform)
        if status:
            where.append(_r.c.status == status)
        if prefix:
            where.append(_r.c.code.like(_like_prefix(prefix), escape="\\"))
        if q.start is not None:
            where.append(_r.c.redeemed_at >= q.start)
        if q.end is not None:
            where.append(_r.c.redeemed_at < q.end)
        query = (
            select(
                _r.c.id,
                _r.c.public_id,
                _r.c.code,
                _r.c.platform,
                _r.c.store_id,
                _r.c.terminal_id,
                _r.c.order_id,
                _r.c.name,
                _r.c.discount_fen,
                _r.c.status,
                _r.c.redeemed_at,
                _r.c.reversed_at,
            )
            .where(*where)
            .order_by(_r.c.id.desc())
            .limit(q.limit)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]
