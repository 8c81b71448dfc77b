"""Hot statements run on the driver's own cursor, compiled by SQLAlchemy once (issue #20).

`Connection.execute` spends 15-25 µs of Python per statement around a driver call of a few
µs on SQLite (the statement's cache key, an execution context, a result with its row
processors): with 14 statements, more of a redeem than its own logic. A `Prepared` statement
is compiled by SQLAlchemy once per dialect and per set of parameter names into its SQL text,
its parameter order, the values of its fixed parameters and its types' conversions both ways.
A run converts the values, calls the cursor of the transaction's own connection and converts
the rows: the same SQL, parameters and values as `Connection.execute`, in the same
transaction.

Kept of SQLAlchemy's contract: `before_cursor_execute` listeners see every statement (the
statement budget and query-plan tests count and explain them); a driver error is raised as
SQLAlchemy's exception (`IntegrityError`, `OperationalError`...), and a lost connection is
invalidated. Not kept: `echo` logging, `after_cursor_execute`, executemany and expanding (IN
list) parameters, which stay with `Connection.execute`; a statement needing them is refused
when first compiled.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import ColumnDefault
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Convert = Callable[[Any], Any]
_MISSING = object()


class Ran:
    """What a run gave back: its rows (attribute access by column name, as a Row's) and how
    many rows an UPDATE or DELETE touched."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar(self) -> Any:
        """The first row's first value; None without rows."""
        return self.rows[0][0] if self.rows else None


@dataclass(frozen=True, slots=True)
class _Slot:
    """One parameter as the driver takes it: its name, its conversion and, for a parameter
    with a value of its own (a literal in the statement), that value already converted."""

    name: str
    convert: Convert | None
    fixed: Any
    default: Callable[[], Any] | None  # a column's Python-side default (INSERT)


@dataclass(frozen=True, slots=True)
class _Form:
    sql: str
    slots: tuple[_Slot, ...]
    positional: bool
    row: Any  # the row class (a namedtuple of the result's names), or None: no rows
    converts: tuple[tuple[int, Convert], ...]  # result positions that need converting


class Prepared:
    """A SQLAlchemy Core statement to run with `run(conn, params)` on the driver's cursor."""

    __slots__ = ("statement", "_forms")

    def __init__(self, statement: Any) -> None:
        if not isinstance(statement, ClauseElement):
            raise TypeError("a Prepared statement is a SQLAlchemy Core statement")
        self.statement = statement
        self._forms: dict[tuple[str, tuple[str, ...]], _Form] = {}

    def __str__(self) -> str:
        return str(self.statement)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Ran:
        """Run with `params` in `conn`'s transaction (begun here if none is)."""
        dialect = conn.dialect
        form = self._forms.get((dialect.name, tuple(params)))
        if form is None:
            form = self._forms[(dialect.name, tuple(params))] = self._compile(dialect, params)
        if form.positional:
            args: Any = tuple(_value(slot, params) for slot in form.slots)
        else:
            args = {slot.name: _value(slot, params) for slot in form.slots}
        if not conn.in_transaction():
            conn.begin()
        return _execute(conn, form, args)

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        compiled = self.statement.compile(dialect=dialect, column_keys=sorted(params))
        assert isinstance(compiled, SQLCompiler)
        if compiled.escaped_bind_names or any(b.expanding for b in compiled.binds.values()):
            raise ValueError("a Prepared statement takes plain named parameters only")
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        assert names is not None
        defaults = _python_defaults(compiled)
        slots = []
        for name in names:
            bind = compiled.binds[name]
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            fixed: Any = _MISSING
            if name not in params and name not in defaults and not bind.required:
                value = bind.effective_value
                fixed = convert(value) if convert is not None else value
            slots.append(_Slot(name, convert, fixed, defaults.get(name)))
        row, converts = _result_shape(self.statement, dialect)
        return _Form(compiled.string, tuple(slots), compiled.positional, row, converts)


def run_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters or rows (`BEGIN IMMEDIATE`) run as a `Prepared` one is
    (listeners, errors), except that it never begins a transaction: SQLAlchemy's `begin`
    event calls it, before the connection counts as having one."""
    _execute(conn, _Form(sql, (), True, None, ()), ())


def rollback_keeping_prepared(conn: Connection) -> None:
    """PostgreSQL: end the transaction with a ROLLBACK sent through libpq, then let SQLAlchemy
    roll back, which finds psycopg's transaction over and sends nothing.

    psycopg's own rollback forgets every statement it prepared on the connection and sends
    DEALLOCATE ALL, in case the transaction created what they refer to; a unit of work never
    runs DDL (migrations do, outside one). Without this, each refused scan (a code already
    used, another store's order) made its connection parse and plan every statement afresh
    for the next requests (issue #20). A ROLLBACK that fails here (a lost connection) is left
    for SQLAlchemy's rollback to meet, report and invalidate."""
    if not conn.invalidated:  # a dropped connection has nothing to send it on
        pgconn = getattr(conn.connection.dbapi_connection, "pgconn", None)
        # IDLE: no statement ran, so psycopg never began; nothing to end (nor a server warning)
        if pgconn is not None and pgconn.transaction_status != TransactionStatus.IDLE:
            try:
                pgconn.exec_(b"ROLLBACK")
            except Exception:  # noqa: BLE001 - SQLAlchemy's rollback below reports the failure
                pass
    conn.rollback()


def _value(slot: _Slot, params: Mapping[str, Any]) -> Any:
    value = params.get(slot.name, _MISSING)
    if value is _MISSING:
        if slot.fixed is not _MISSING:
            return slot.fixed
        if slot.default is None:
            raise KeyError(f"no value for the parameter {slot.name!r}")
        value = slot.default()
    return value if slot.convert is None else slot.convert(value)


def _python_defaults(compiled: SQLCompiler) -> dict[str, Callable[[], Any]]:
    """The INSERT's columns left out whose default Python computes: scalar or no-argument."""
    found: dict[str, Callable[[], Any]] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if not isinstance(default, ColumnDefault):
            raise ValueError(f"a Prepared INSERT cannot compute the default of {column}")
        found[column.key] = _default_of(default)
    if compiled.update_prefetch:
        raise ValueError("a Prepared UPDATE cannot compute onupdate values")
    return found


def _default_of(default: ColumnDefault) -> Callable[[], Any]:
    value = default.arg
    if default.is_callable:  # SQLAlchemy wraps it to take an execution context; it uses none
        return lambda: value(None)
    return lambda: value


def _result_shape(statement: Any, dialect: Dialect) -> tuple[Any, tuple[tuple[int, Convert], ...]]:
    columns = getattr(statement, "exported_columns", None)
    if not columns:
        return None, ()
    names = list(columns.keys())
    named = [name for name in names if not name.startswith("_")]  # "_no_label": by position
    if len(set(named)) != len(named):
        raise ValueError(f"a Prepared statement's result names repeat: {names}")
    converts = []
    for position, column in enumerate(columns):
        convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if convert is not None:
            converts.append((position, convert))
    return namedtuple("PreparedRow", names, rename=True), tuple(converts)


def _execute(conn: Connection, form: _Form, args: Any) -> Ran:
    sql = form.sql
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if conn._has_events or conn.engine._has_events:
            for listener in conn.dispatch.before_cursor_execute:
                sql, args = listener(conn, cursor, sql, args, None, False)
        cursor.execute(sql, args)
        rows: list[Any] = []
        if form.row is not None:
            fetched = cursor.fetchall()
            make, converts = form.row._make, form.converts
            if converts:
                for found in fetched:
                    values = list(found)
                    for position, convert in converts:
                        values[position] = convert(values[position])
                    rows.append(make(values))
            else:
                rows = [make(found) for found in fetched]
        return Ran(rows, cursor.rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        gone = conn.dialect.is_disconnect(exc, raw, cursor)
        if gone:  # as SQLAlchemy does: the server dropped it, so the pool's others go too
            conn.engine.pool._invalidate(conn.connection, exc)
            conn.invalidate(exc)
        error = conn.dialect.loaded_dbapi.Error
        raise DBAPIError.instance(
            sql, args, exc, error, connection_invalidated=gone, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()
