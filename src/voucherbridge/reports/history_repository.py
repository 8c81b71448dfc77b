"""An archive page's history column: each code's events in one string, written by the page's
statement (PostgreSQL `string_agg ... ORDER BY`; SQLite `group_concat` over the ordered events,
shifted by the zone's fixed offset)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, bindparam, case, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from voucherbridge.db import tables as t

_ev = t.code_events
_es = t.stores.alias("event_stores")


def _const(value: str) -> ColumnElement[str]:
    """A constant of the statement written into its SQL: the page's labels and separators are
    fixed per cached statement, and each bound parameter costs its execution (issue #16)."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def history_column(
    page: Any, dialect: str, labels: tuple[tuple[str, str], ...], merchant: ColumnElement[int]
) -> ColumnElement[Any]:
    """A page row's events as the archive shows them, oldest first, in one string: "<local
    minute> <label>[ <store>]" joined by "; ", in the zone bound as `history_zone`."""
    if dialect == "postgresql":
        minute = func.to_char(
            func.timezone(bindparam("history_zone"), _ev.c.at), _const("YYYY-MM-DD HH24:MI")
        )
    else:  # whole seconds first: SQLite reads fractions to the millisecond and would round
        minute = func.strftime(
            _const("%Y-%m-%d %H:%M"),
            func.substr(_ev.c.at, literal_column("1"), literal_column("19")),
            bindparam("shift"),
        )
    label = case(
        {_const(event): _const(name) for event, name in labels},
        value=_ev.c.event,
        else_=_ev.c.event,
    )
    space, nothing = _const(" "), _const("")
    where = case((_es.c.name != nothing, space + _es.c.name), else_=nothing)
    lines = (
        select(_ev.c.id, (minute + space + label + where).label("line"))
        .select_from(
            _ev.outerjoin(_es, and_(_es.c.id == _ev.c.store_id, _es.c.merchant_id == merchant))
        )
        .where(_ev.c.merchant_id == merchant, _ev.c.code_id == page.c.id)
        .order_by(_ev.c.id)
        .correlate(page)
        .subquery("lines")
    )
    if dialect == "postgresql":
        joined = func.string_agg(lines.c.line, aggregate_order_by(_const("; "), lines.c.id))
    else:  # SQLite 3.40 has no ORDER BY in an aggregate: it concatenates in the lines' order
        joined = func.group_concat(lines.c.line, _const("; "))
    return select(joined).select_from(lines).scalar_subquery()
