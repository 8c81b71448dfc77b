"""The reports' SQL: every figure is aggregated in the database (GROUP BY), never row by row.

Days are the merchant's: PostgreSQL converts each timestamp with `timezone(zone, at)`; SQLite,
which knows no zones, shifts by the zone's offset when it is the same over the whole period
(Asia/Shanghai always is) and otherwise buckets with a CASE over the UTC bounds of each local day
computed here. Either way a row's day is the same on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

_c, _r, _tp, _o = t.codes, t.redemptions, t.voucher_templates, t.outbox
# The redemptions a manager's scope looks into (beside `_r`, which a grouping may join).
_rs = t.redemptions.alias("scope_redemptions")


@dataclass(frozen=True, slots=True)
class Window:
    """UTC bounds [start, end) of local days `first`..`last`, in the merchant's zone."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a store manager may read: their stores, and the templates usable in them."""

    store_ids: frozenset[int]
    template_ids: frozenset[int]


def scope_of(store_ids: frozenset[int], templates: Sequence[tuple[Any, Any]]) -> Scope:
    """A manager's scope from the merchant's templates as (id, store_ids) pairs."""
    mine = frozenset(int(i) for i, stores in templates if stores and store_ids.intersection(stores))
    return Scope(store_ids, mine)


@lru_cache(maxsize=64)
def fixed_offset(key: str) -> int | None:
    """The zone's UTC offset in seconds when it is the same every week from 2000 to 2100 (the
    archive's and the alerts' times; Asia/Shanghai's is), else None: SQLite knows no zones and
    can only shift."""
    zone, first = ZoneInfo(key), datetime(2000, 1, 3, tzinfo=UTC)
    offsets = {(first + timedelta(weeks=w)).astimezone(zone).utcoffset() for w in range(5218)}
    offset = offsets.pop() if len(offsets) == 1 else None
    return int(offset.total_seconds()) if offset is not None else None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def as_date(value: Any) -> date:
    """A bucket's day as the driver hands it back (a date, or ISO text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def as_int(value: Any) -> int:
    """SUM over bigints is numeric on PostgreSQL (a Decimal, exact); None when no rows."""
    return int(value or 0)


def by_label(keys: Sequence[str]) -> list[Any]:
    """GROUP BY the output columns by name (g_day, ...: no table has such a column, so neither
    backend reads them as input columns): the expression repeated would carry bound parameters
    of its own (a zone, an offset) that SQLite evaluates a second time per row. The keys come
    from each report's fixed set."""
    return [literal_column(f"g_{key}") for key in keys]


def _ungrouped(row: Any) -> dict[str, Any]:
    """A result row with its group columns under their keys again (g_store -> store)."""
    return {key.removeprefix("g_"): value for key, value in row.items()}


class ReportRepo(Repository):
    # ---- the merchant's day ------------------------------------------------------------------
    def local_day(self, column: Any, window: Window) -> ColumnElement[Any]:
        if self.conn.dialect.name == "postgresql":
            return cast(func.timezone(window.zone.key, column), Date)
        days = (window.last - window.first).days + 1
        offsets = {
            local_midnight(window.first + timedelta(days=i), window.zone).utcoffset()
            for i in range(days + 1)
        }
        if len(offsets) == 1:
            offset = offsets.pop()
            seconds = int(offset.total_seconds()) if offset else 0
            return func.date(column, f"{seconds:+d} seconds")
        bounds = [
            (
                column < local_midnight(window.first + timedelta(days=i + 1), window.zone),
                literal((window.first + timedelta(days=i)).isoformat()),
            )
            for i in range(days)
        ]
        return case(*bounds, else_=literal(window.last.isoformat()))

    # ---- scope ---------------------------------------------------------------------------------
    def scope(self, merchant_id: int, store_ids: frozenset[int] | None) -> Scope | None:
        """None for HQ; for a manager, the templates limited to stores of theirs (a template for
        every store is the chain's, not a store's)."""
        if store_ids is None:
            return None
        rows = self.conn.execute(
            select(_tp.c.id, _tp.c.store_ids).where(_tp.c.merchant_id == merchant_id)
        )
        return scope_of(store_ids, [(r.id, r.store_ids) for r in rows])

    def names(self, merchant_id: int) -> dict[str, dict[int, str]]:
        """Display names of the dimensions the reports group by (small tables)."""
        stores = self.conn.execute(
            select(t.stores.c.id, t.stores.c.name).where(t.stores.c.merchant_id == merchant_id)
        )
        listings = self.conn.execute(
            select(t.listings.c.id, t.listings.c.title).where(
                t.listings.c.merchant_id == merchant_id
            )
        )
        terminals = self.conn.execute(
            select(t.terminals.c.id, t.terminals.c.name).where(
                t.terminals.c.merchant_id == merchant_id
            )
        )
        return {
            "store": {int(r.id): str(r.name) for r in stores},
            "listing": {int(r.id): str(r.title) for r in listings},
            "terminal": {int(r.id): str(r.name) for r in terminals},
        }

    # ---- sales (供货订单) ------------------------------------------------------------------
    def sales(
        self,
        merchant_id: int,
        *,
        window: Window,
        keys: Sequence[str],
        scope: Scope | None,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """Codes sold in the window, grouped by `keys` (store: the store that redeemed it)."""
        dims: dict[str, ColumnElement[Any]] = {
            "platform": _c.c.platform,
            "listing": _c.c.listing_id,
            "store": _r.c.store_id,
            "day": self.local_day(_c.c.issued_at, window),
        }
        group = [dims[k].label(f"g_{k}") for k in keys]
        unused = and_(_c.c.status == "issued", _c.c.valid_until > now)
        soon = and_(unused, _c.c.valid_until <= now + timedelta(days=7))
        source = _c.join(_tp, _tp.c.id == _c.c.template_id)
        if "store" in keys:
            source = source.outerjoin(_r, and_(_r.c.code_id == _c.c.id, _r.c.status == "active"))
        query = (
            select(
                *group,
                func.count().label("sold"),
                func.sum(_tp.c.price_fen).label("paid_fen"),
                func.sum(_tp.c.face_value_fen).label("face_fen"),
                func.sum(case((_c.c.status == "voided", 1), else_=0)).label("refunded"),
                func.sum(case((unused, 1), else_=0)).label("unused"),
                func.sum(case((soon, 1), else_=0)).label("expiring"),
            )
            .select_from(source)
            .where(
                _c.c.merchant_id == merchant_id,
                _c.c.issued_at >= window.start,
                _c.c.issued_at < window.end,
                *self.code_scope(merchant_id, scope),
            )
            .group_by(*by_label(keys))
        )
        return [_ungrouped(row._mapping) for row in self.conn.execute(query)]

    def code_scope(self, merchant_id: int, scope: Scope | None) -> list[ColumnElement[bool]]:
        if scope is None:
            return []
        redeemed_here = exists().where(
            _rs.c.merchant_id == merchant_id,
            _rs.c.code_id == _c.c.id,
            _rs.c.store_id.in_(sorted(scope.store_ids)),
        )
        if not scope.template_ids:
            return [redeemed_here]
        return [or_(_c.c.template_id.in_(sorted(scope.template_ids)), redeemed_here)]

    # ---- redemptions ---------------------------------------------------------------------
    def redemptions(
        self,
        merchant_id: int,
        *,
        window: Window,
        keys: Sequence[str],
        store_ids: frozenset[int] | None,
        by: str,
    ) -> list[dict[str, Any]]:
        """Uses (`by="redeemed"`, by redeemed_at) or reversals (`by="reversed"`, by
        reversed_at) in the window: count and discount, grouped by `keys`."""
        at = _r.c.redeemed_at if by == "redeemed" else _r.c.reversed_at
        dims: dict[str, ColumnElement[Any]] = {
            "store": _r.c.store_id,
            "platform": _r.c.platform,
            "terminal": _r.c.terminal_id,
            "listing": _c.c.listing_id,
            "day": self.local_day(at, window),
        }
        group = [dims[k].label(f"g_{k}") for k in keys]
        source = _r.join(_c, _c.c.id == _r.c.code_id) if "listing" in keys else _r
        scope = [] if store_ids is None else [_r.c.store_id.in_(sorted(store_ids))]
        query = (
            select(
                *group,
                func.count().label("n"),
                func.sum(_r.c.discount_fen).label("discount_fen"),
            )
            .select_from(source)
            .where(_r.c.merchant_id == merchant_id, at >= window.start, at < window.end, *scope)
            .group_by(*by_label(keys))
        )
        return [_ungrouped(row._mapping) for row in self.conn.execute(query)]

    def sold(self, merchant_id: int, *, window: Window, scope: Scope | None) -> int:
        query = select(func.count()).where(
            _c.c.merchant_id == merchant_id,
            _c.c.issued_at >= window.start,
            _c.c.issued_at < window.end,
            *self.code_scope(merchant_id, scope),
        )
        return as_int(self.conn.execute(query).scalar())

    def sync_failures(
        self, merchant_id: int, *, window: Window, store_ids: frozenset[int] | None
    ) -> int:
        """Outbox rows queued in the window that went dead or are waiting after a failure;
        a manager counts those of codes used at their stores."""
        failed = or_(
            _o.c.status == "dead", and_(_o.c.status == "pending", _o.c.last_error.is_not(None))
        )
        scope: list[ColumnElement[bool]] = []
        if store_ids is not None:
            scope.append(
                exists().where(
                    _r.c.merchant_id == merchant_id,
                    _r.c.store_id.in_(sorted(store_ids)),
                    _o.c.order_key == _o.c.destination.concat(":").concat(_r.c.code),
                )
            )
        query = select(func.count()).where(
            _o.c.merchant_id == merchant_id,
            _o.c.created_at >= window.start,
            _o.c.created_at < window.end,
            failed,
            *scope,
        )
        return as_int(self.conn.execute(query).scalar())
