"""The till's orders and the redemptions as keyset pages (see archive_repository.py): one
statement a page, carrying the names of each row's store and terminal and the merchant's zone."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import RowMapping, Select, and_, bindparam, select

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.reports.archive_repository import (
    MERCHANT,
    ListQuery,
    keyset,
    like_prefix,
    page_params,
    run_page,
    zone_column,
)

_r, _ord, _s, _tm = t.redemptions, t.orders, t.stores, t.terminals


def _named(table: Any) -> Any:
    """Orders or redemptions joined to the names of their store and terminal."""
    return table.outerjoin(
        _s, and_(_s.c.id == table.c.store_id, _s.c.merchant_id == MERCHANT)
    ).outerjoin(_tm, and_(_tm.c.id == table.c.terminal_id, _tm.c.merchant_id == MERCHANT))


@lru_cache(maxsize=64)
def _orders_sql(keys: tuple[str, ...]) -> Select[Any]:
    where = keyset(_ord, _ord.c.opened_at, keys)
    if "scope_stores" in keys:
        where.append(_ord.c.store_id.in_(bindparam("scope_stores", expanding=True)))
    return (
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
            _s.c.name.label("store"),
            _tm.c.name.label("terminal"),
            zone_column(),
        )
        .select_from(_named(_ord))
        .where(*where)
        .order_by(_ord.c.id.desc())
        .limit(bindparam("limit"))
    )


@lru_cache(maxsize=128)
def _redemptions_sql(keys: tuple[str, ...]) -> Select[Any]:
    where = keyset(_r, _r.c.redeemed_at, keys)
    if "scope_stores" in keys:
        where.append(_r.c.store_id.in_(bindparam("scope_stores", expanding=True)))
    if "prefix" in keys:
        where.append(_r.c.code.like(bindparam("prefix"), escape="\\"))
    return (
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
            _s.c.name.label("store"),
            _tm.c.name.label("terminal"),
            zone_column(),
        )
        .select_from(_named(_r))
        .where(*where)
        .order_by(_r.c.id.desc())
        .limit(bindparam("limit"))
    )


class ListsRepo(Repository):
    def orders(
        self,
        q: ListQuery,
        *,
        store_ids: frozenset[int] | None,
        store_id: int | None,
        status: str | None,
    ) -> Sequence[RowMapping]:
        """A page of the till's orders with their store's and terminal's names and the zone."""
        scope = sorted(store_ids) if store_ids is not None else None
        params = page_params(q, scope_stores=scope, store_id=store_id, status=status)
        return run_page(self.conn, _orders_sql, params)

    def redemptions(
        self,
        q: ListQuery,
        *,
        store_ids: frozenset[int] | None,
        store_id: int | None,
        platform: str | None,
        status: str | None,
        prefix: str | None,
    ) -> Sequence[RowMapping]:
        """A page of redemptions with their store's and terminal's names and the zone."""
        params = page_params(
            q,
            scope_stores=sorted(store_ids) if store_ids is not None else None,
            store_id=store_id,
            platform=platform,
            status=status,
            prefix=like_prefix(prefix) if prefix else None,
        )
        return run_page(self.conn, _redemptions_sql, params)
