"""The dashboard's alert counts in the database: each rule of domain/alerts.py (which the alerts
page runs in Python over the audit rows) as a SELECT of the time of every alert it would raise,
the five joined by UNION ALL and counted per window in one statement.

What each rule keeps, as domain/alerts.py has it (a manager counts an alert when one of its
stores is theirs):
- code_at_two_stores: redemptions and refused tries of one code (`after.code_id`) at two or
  more stores; its time is the latest of them.
- many_reversals: per actor, the most reversals inside the window (`p.at >= r.at - window`,
  counted over integer microseconds, so a window of exactly 24 h is exact on both backends),
  at least the threshold; its time is the first end of a busiest window.
- outside_opening_hours: redemptions whose local time (the merchant's zone) is outside their
  store's hours; SQLite can only shift by a fixed offset, so another zone returns None there
  and the dashboard runs the rules in Python instead.
- platform_out_of_step: a partial 反结账 with no 反结账 of the same order at or after it.

Each reads the log in one pass (an index on audit_log (merchant_id, action, at) would let each
read only its own rows; the table has one on merchant_id alone).
- reconciliation_mismatch: each such row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Time,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    func,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain import alerts as rules
from voucherbridge.reports.repository import fixed_offset

_log = t.audit_log
Ranges = Sequence[tuple[time, time]]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCount:
    """What the count reads: rows since `since`, the alerts of each [start, end) window."""

    merchant_id: int
    since: datetime
    windows: tuple[tuple[datetime, datetime], ...]
    zone: ZoneInfo
    hours: Mapping[int, Ranges]  # each store's parsed opening hours (none: always open)
    threshold: int
    window: timedelta
    store_ids: frozenset[int] | None


class AlertCountRepo(Repository):
    def counts(self, q: AlertCount) -> tuple[int, ...] | None:
        """The alerts of each window, or None when this database cannot tell local times."""
        clock = self._local_clock(q.zone)
        if clock is None:
            return None
        every = [
            _two_stores(q),
            _many_reversals(q, self._micros(_log.c.at)),
            _out_of_step(q),
            _mismatches(q),
        ]
        closed = _closed(q, clock)
        if closed is not None:
            every.append(closed)
        found = union_all(*every).subquery("alerts")
        per_window = [
            func.coalesce(func.sum(case((and_(found.c.at >= lo, found.c.at < hi), 1), else_=0)), 0)
            for lo, hi in q.windows
        ]
        row = self.conn.execute(select(*per_window)).one()
        return tuple(int(n) for n in row)

    def _local_clock(self, zone: ZoneInfo) -> ColumnElement[Any] | None:
        """The time of day of an audit row in `zone` (PostgreSQL: a time; SQLite: "HH:MM:SS")."""
        if self.conn.dialect.name == "postgresql":
            return cast(func.timezone(zone.key, _log.c.at), Time)
        offset = fixed_offset(zone.key)
        if offset is None:
            return None
        return func.strftime("%H:%M:%S", func.substr(_log.c.at, 1, 19), f"{offset:+d} seconds")

    def _micros(self, at: Any) -> ColumnElement[Any]:
        """A UTC time as integer microseconds since 1970 (exact: no float in between)."""
        if self.conn.dialect.name == "postgresql":
            return cast(extract("epoch", at) * 1_000_000, BigInteger)
        whole = cast(func.strftime("%s", func.substr(at, 1, 19)), Integer)
        return whole * 1_000_000 + cast(func.substr(at, 21, 6), Integer)


def _rows(q: AlertCount, *actions: str, table: Any = _log) -> list[ColumnElement[bool]]:
    return [
        table.c.merchant_id == q.merchant_id,
        table.c.at >= q.since,
        table.c.action.in_(actions),
    ]


def _mine(q: AlertCount, store: Any) -> list[ColumnElement[bool]]:
    return [] if q.store_ids is None else [store.in_(sorted(q.store_ids))]


def _two_stores(q: AlertCount) -> Select[Any]:
    code = _log.c.after["code_id"].as_string()
    query = (
        select(func.max(_log.c.at).label("at"))
        .where(
            *_rows(q, rules.REDEEMED, rules.REJECTED),
            code.is_not(None),
            _log.c.store_id.is_not(None),
            _log.c.store_id != 0,
        )
        .group_by(code)
        .having(func.count(distinct(_log.c.store_id)) >= 2)
    )
    if q.store_ids is not None:
        here = case((_log.c.store_id.in_(sorted(q.store_ids)), 1), else_=0)
        query = query.having(func.max(here) == 1)
    return query


def _many_reversals(q: AlertCount, micros: ColumnElement[Any]) -> Select[Any]:
    width = q.window // timedelta(microseconds=1)
    reversals = (
        select(_log.c.actor_type, _log.c.actor_id, _log.c.at, _log.c.store_id, micros.label("t"))
        .where(*_rows(q, rules.REVERSED))
        .cte("reversals")
    )
    # SQLAlchemy binds a frame's offset as an INTEGER; microseconds of a day need a bigint.
    busy: ColumnElement[int] = literal_column(
        "count(*) OVER (PARTITION BY actor_type, actor_id ORDER BY t"
        f" RANGE BETWEEN {int(width)} PRECEDING AND CURRENT ROW)"
    )
    ends = select(
        reversals.c.actor_type, reversals.c.actor_id, reversals.c.at, reversals.c.t, busy.label("n")
    ).cte("reversal_windows")
    first = func.row_number().over(
        partition_by=(ends.c.actor_type, ends.c.actor_id), order_by=(ends.c.n.desc(), ends.c.t)
    )
    best = select(ends, first.label("k")).subquery("busiest")
    query = select(best.c.at).where(best.c.k == 1, best.c.n >= q.threshold)
    if q.store_ids is not None:
        query = query.where(
            exists().where(
                reversals.c.actor_type == best.c.actor_type,
                reversals.c.actor_id == best.c.actor_id,
                reversals.c.t >= best.c.t - width,
                reversals.c.t <= best.c.t,
                *_mine(q, reversals.c.store_id),
            )
        )
    return query


def _closed(q: AlertCount, clock: ColumnElement[Any]) -> Select[Any] | None:
    def value(moment: time) -> Any:
        return moment if isinstance(clock.type, Time) else moment.strftime("%H:%M:%S")

    def open_at(start: time, end: time) -> ColumnElement[bool]:
        if start < end:
            return and_(clock >= value(start), clock < value(end))
        return or_(clock >= value(start), clock < value(end))

    closed = [
        and_(_log.c.store_id == store_id, not_(or_(*(open_at(a, b) for a, b in ranges))))
        for store_id, ranges in sorted(q.hours.items())
        if ranges
    ]
    if not closed:
        return None
    return select(_log.c.at).where(
        *_rows(q, rules.REDEEMED),
        _log.c.store_id.is_not(None),
        or_(*closed),
        *_mine(q, _log.c.store_id),
    )


def _out_of_step(q: AlertCount) -> Select[Any]:
    """One pass over the 反结账 that went through (the last per order), joined to the partial
    ones: a correlated NOT EXISTS would scan the log once per partial 反结账."""
    partial, reopen = _log.alias("partial"), _log.alias("reopen")
    last = (
        select(_order_of(reopen).label("order_key"), func.max(reopen.c.at).label("at"))
        .where(*_rows(q, rules.REOPEN, table=reopen))
        .group_by(literal_column("order_key"))  # by name: PostgreSQL would see two paths
        .subquery("reopened")
    )
    return (
        select(partial.c.at)
        .select_from(partial.outerjoin(last, last.c.order_key == _order_of(partial)))
        .where(
            *_rows(q, rules.REOPEN_PARTIAL, table=partial),
            or_(last.c.at.is_(None), last.c.at < partial.c.at),
            *_mine(q, partial.c.store_id),
        )
    )


def _order_of(table: Any) -> ColumnElement[Any]:
    """The row's `after.order_id` as text; rows without one are one order, as the rule has it."""
    return func.coalesce(cast(table.c.after["order_id"].as_string(), String), "-")


def _mismatches(q: AlertCount) -> Select[Any]:
    return select(_log.c.at).where(
        *_rows(q, rules.RECONCILIATION_MISMATCH), *_mine(q, _log.c.store_id)
    )
