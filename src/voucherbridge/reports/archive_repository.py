"""The lists' SQL: keyset pages (id descending, `id < after`), so page 10,000 costs what page 1
does.

A page is one statement that carries its rows' display names (listing, store, terminal), the
store of a code's standing redemption and the merchant's zone; an archive page's codes carry
their events (with their stores' names) from one more statement over that page's ids. Each
list's statement is built once per shape (which filters a page sets) with every value a bound
parameter, so a page costs its SQL and its rows, not the building of a statement: that was most
of an archive page's 2 ms when it ran seven statements (zone, scope, page, events, three name
tables, redeeming stores; issue #16).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Row,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    exists,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.reports.history_repository import history_column
from voucherbridge.reports.repository import Scope, fixed_offset, scope_of

_c, _r, _ord, _ev = t.codes, t.redemptions, t.orders, t.code_events
_m, _l, _s, _tm, _tp = t.merchants, t.listings, t.stores, t.terminals, t.voucher_templates
# The redemptions a manager's scope looks into, and a code's standing (not reversed) one,
# beside `_r` (which the store filter reads).
_rs = t.redemptions.alias("scope_redemptions")
_standing = t.redemptions.alias("standing")
MERCHANT: BindParameter[int] = bindparam("merchant_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """A page request: `after` is the last id of the previous page; times are UTC bounds."""

    merchant_id: int
    after: int | None
    limit: int
    start: datetime | None = None
    end: datetime | None = None


def like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def zone_column() -> ColumnElement[Any]:
    return select(_m.c.timezone).where(_m.c.id == MERCHANT).scalar_subquery().label("zone")


def keyset(table: Any, at: Any, keys: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """What every list's page asks: the merchant, the cursor, the date range, and equality on
    the filters set that are columns of `table`."""
    where: list[ColumnElement[bool]] = [table.c.merchant_id == MERCHANT]
    if "after" in keys:
        where.append(table.c.id < bindparam("after"))
    if "start" in keys:
        where.append(at >= bindparam("start"))
    if "end" in keys:
        where.append(at < bindparam("end"))
    for name in ("status", "platform", "listing_id", "store_id"):
        if name in keys and name in table.c:
            where.append(table.c[name] == bindparam(name))
    return where


@lru_cache(maxsize=128)
def _codes_sql(
    keys: tuple[str, ...], dialect: str | None, labels: tuple[tuple[str, str], ...]
) -> Select[Any]:
    where = keyset(_c, _c.c.issued_at, keys)
    if "scope_stores" in keys:  # as ReportRepo.code_scope, with its values bound
        here = exists().where(
            _rs.c.merchant_id == MERCHANT,
            _rs.c.code_id == _c.c.id,
            _rs.c.store_id.in_(bindparam("scope_stores", expanding=True)),
        )
        templates = _c.c.template_id.in_(bindparam("scope_templates", expanding=True))
        where.append(or_(templates, here) if "scope_templates" in keys else here)
    if "code_store_id" in keys:
        where.append(
            exists().where(
                _r.c.merchant_id == MERCHANT,
                _r.c.code_id == _c.c.id,
                _r.c.store_id == bindparam("code_store_id"),
            )
        )
    if "prefix" in keys:
        where.append(_c.c.code.like(bindparam("prefix"), escape="\\"))
    standing = (
        select(_standing.c.store_id)
        .where(
            _standing.c.merchant_id == MERCHANT,
            _standing.c.code_id == _c.c.id,
            _standing.c.status == "active",
        )
        .order_by(_standing.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    page = (
        select(
            _c.c.id,
            _c.c.code,
            _c.c.status,
            _c.c.platform,
            _c.c.listing_id,
            _c.c.issued_at,
            _c.c.valid_until,
            _c.c.redeemed_at,
            _l.c.title.label("listing"),
            standing.label("store_id"),
        )
        .select_from(
            _c.outerjoin(_l, and_(_l.c.id == _c.c.listing_id, _l.c.merchant_id == MERCHANT))
        )
        .where(*where)
        .order_by(_c.c.id.desc())
        .limit(bindparam("limit"))
        .subquery("page")
    )
    history: list[ColumnElement[Any]] = []
    if dialect is not None:
        history = [
            history_column(page, dialect, labels, MERCHANT).label("history"),
            bindparam("history_zone", type_=String).label("history_zone"),
        ]
    return (
        select(page, _s.c.name.label("store"), zone_column(), *history)
        .select_from(
            page.outerjoin(_s, and_(_s.c.id == page.c.store_id, _s.c.merchant_id == MERCHANT))
        )
        .order_by(page.c.id.desc())
    )


# The events of a page's codes, oldest first, each with its store's name.
_EVENTS = (
    select(_ev.c.code_id, _ev.c.event, _ev.c.at, _s.c.name.label("store"))
    .select_from(
        _ev.outerjoin(_s, and_(_s.c.id == _ev.c.store_id, _s.c.merchant_id == _ev.c.merchant_id))
    )
    .where(_ev.c.merchant_id == MERCHANT, _ev.c.code_id.in_(bindparam("code_ids", expanding=True)))
    .order_by(_ev.c.code_id, _ev.c.id)
)


def page_params(q: ListQuery, **filters: Any) -> dict[str, Any]:
    return {
        "merchant_id": q.merchant_id,
        "after": q.after,
        "start": q.start,
        "end": q.end,
        "limit": q.limit,
        **filters,
    }


def shape(params: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k, v in params.items() if v is not None))


def run_page(
    conn: Connection, build: Callable[[tuple[str, ...]], Select[Any]], params: dict[str, Any]
) -> Sequence[RowMapping]:
    """The statement of the filters set (built once per shape), run with their values."""
    keys = shape(params)
    return conn.execute(build(keys), {k: params[k] for k in keys}).mappings().all()


# Where `ArchiveRepo.codes` puts the columns after the code's own ten (id, code, status,
# platform, listing_id, issued_at, valid_until, redeemed_at, listing, store_id): the standing
# store's name, the merchant's zone and, when asked for, the history and its zone.
STORE, ZONE, HISTORY = 10, 11, 12


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
        history_zone: str | None,
        labels: tuple[tuple[str, str], ...],
    ) -> Sequence[Row[Any]]:
        """A page of codes with their listing's title, the store (id and name) of their
        standing redemption and the merchant's zone (`zone`, on every row). With a
        `history_zone` (PostgreSQL: any; SQLite: one of a fixed offset), each row also carries
        its events as one string (`history`, events named by `labels`) in that zone, and the
        zone it was written in (`history_zone`): the caller compares it with `zone`."""
        dialect: str | None = self.conn.dialect.name
        shift = None
        if history_zone is not None and dialect != "postgresql":
            offset = fixed_offset(history_zone)
            shift = f"{offset:+d} seconds" if offset is not None else None
            dialect = dialect if shift else None
        if history_zone is None:
            dialect = None
        params = page_params(
            q,
            status=status,
            platform=platform,
            listing_id=listing_id,
            code_store_id=store_id,
            prefix=like_prefix(prefix) if prefix else None,
            scope_stores=sorted(scope.store_ids) if scope else None,
            scope_templates=(sorted(scope.template_ids) or None) if scope else None,
        )
        keys = shape(params)
        extra = {"history_zone": history_zone, "shift": shift} if dialect else {}
        query = _codes_sql(keys, dialect, labels)
        return self.conn.execute(query, {**{k: params[k] for k in keys}, **extra}).all()

    def events(self, merchant_id: int, code_ids: Sequence[int]) -> Sequence[RowMapping]:
        """The events of a page's codes, oldest first, with the name of each event's store."""
        if not code_ids:
            return []
        params = {"merchant_id": merchant_id, "code_ids": list(code_ids)}
        return self.conn.execute(_EVENTS, params).mappings().all()

    def zone_and_scope(
        self, merchant_id: int, store_ids: frozenset[int] | None
    ) -> tuple[str | None, Scope | None]:
        """The merchant's zone and, for a store manager, their scope, in one statement (a page
        carries the zone too: this is read first only when a date filter or a scope needs it)."""
        if store_ids is None:
            found = self.conn.execute(select(_m.c.timezone).where(_m.c.id == merchant_id))
            return found.scalar(), None
        rows = self.conn.execute(
            select(_m.c.timezone, _tp.c.id, _tp.c.store_ids)
            .select_from(_m.outerjoin(_tp, _tp.c.merchant_id == _m.c.id))
            .where(_m.c.id == merchant_id)
        ).all()
        zone: str | None = rows[0].timezone if rows else None
        return zone, scope_of(store_ids, [(r.id, r.store_ids) for r in rows if r.id is not None])
