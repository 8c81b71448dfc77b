"""The scan of one of our own codes in few, fat statements (issue #20: Python per statement is
what a redeem costs, so the hot path asks the database once where it used to ask three times).

- `lock_order`: the order's row lock (version bump) that hands back the row it locked, with
  the code-guessing throttle's counts (`order`: the same without the lock, for prepare);
- `scan`: the code with its template, its listing, whether the terminal's store is bound to
  the code's platform, whether it has a buyer's openid (someone to tell of its use), and the
  answer kept under the request's idempotency key, in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, and_, bindparam, exists, func, select, update

from voucherbridge.db import mapping
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository
from voucherbridge.domain.records import Code, IdempotencyRecord, Listing, Order, TemplateRow

_codes, _templates, _listings = t.codes, t.voucher_templates, t.listings
_keys, _bindings = t.idempotency_keys, t.bindings

_tries = t.code_attempts
_MISSES = (_tries.c.store_id == bindparam("b_store"), _tries.c.at > bindparam("b_since"))
# The code-guessing throttle's two counts (counter/throttle.py), read with the order.
_COUNTS = (
    select(func.count())
    .where(*_MISSES, _tries.c.kind == "miss")
    .scalar_subquery()
    .label("g_store"),
    select(func.count())
    .where(*_MISSES, _tries.c.kind == "miss", _tries.c.terminal_id == bindparam("b_terminal"))
    .scalar_subquery()
    .label("g_till"),
)
_OF_ORDER = (
    t.orders.c.merchant_id == bindparam("b_merchant_id"),
    t.orders.c.id == bindparam("b_order_id"),
)
_LOCK_ORDER = Prepared(
    update(t.orders)
    .where(*_OF_ORDER, t.orders.c.status == "open")
    .values(version=t.orders.c.version + 1)
    .returning(*t.orders.c, *_COUNTS)
)
_ORDER = Prepared(select(*t.orders.c, *_COUNTS).where(*_OF_ORDER))


def _labelled(table: Any, prefix: str) -> list[Any]:
    return [column.label(prefix + column.name) for column in table.c]


_BOUND = (
    exists()
    .where(
        _bindings.c.store_id == bindparam("b_store"),
        _bindings.c.platform == _codes.c.platform,
        _bindings.c.status == "bound",
    )
    .label("bound")
)
# A buyer to tell (notifications/events.py): without one the redemption asks nothing more.
_BUYER = (
    exists()
    .where(
        t.code_orders.c.id == _codes.c.code_order_id,
        t.code_orders.c.buyer_openid.is_not(None),
    )
    .label("buyer")
)
_SCAN = Prepared(
    select(
        *_labelled(_codes, "c_"),
        *_labelled(_templates, "t_"),
        *_labelled(_listings, "l_"),
        _BOUND,
        _BUYER,
        _keys.c.request_hash.label("k_request_hash"),
        _keys.c.redemption_id.label("k_redemption_id"),
        _keys.c.response.label("k_response"),
    )
    .select_from(
        _codes.join(_templates, _templates.c.id == _codes.c.template_id)
        .join(_listings, _listings.c.id == _codes.c.listing_id)
        .outerjoin(
            _keys,
            and_(_keys.c.terminal_id == bindparam("b_terminal"), _keys.c.key == bindparam("b_key")),
        )
    )
    .where(
        _codes.c.code == bindparam("b_code"),
        _codes.c.merchant_id == bindparam("b_merchant"),
        _templates.c.merchant_id == bindparam("b_merchant"),
        _listings.c.merchant_id == bindparam("b_merchant"),
    )
)


class _Part:
    """One table's columns of a joined row, under the names `db.mapping` reads."""

    __slots__ = ("_row", "_prefix")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def _part(row: Any, prefix: str) -> Row[Any]:
    return cast(Row[Any], _Part(row, prefix))


@dataclass(frozen=True, slots=True)
class ScannedRow:
    """What `scan` found: the code, its template and listing, the binding, the key's answer."""

    code: Code
    template: TemplateRow
    listing: Listing
    bound: bool
    stored: IdempotencyRecord | None
    buyer: bool  # the code's order has a buyer's openid: someone to tell of its use


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order as the scan reads it, with the throttle's counts: unknown codes at the
    terminal's store and at the terminal since the window's start."""

    order: Order
    misses_at_store: int
    misses_at_till: int


class ScanRepo(Repository):
    def lock_order(
        self, merchant_id: int, order_id: int, *, terminal: tuple[int, int], since: datetime
    ) -> OrderRow | None:
        """Bump the open order's version (the row lock that serialises vouchers on one order)
        and return it with its lines and the throttle's counts for `terminal` (store id,
        terminal id); None when no open order of the merchant has this id."""
        return self._order(_LOCK_ORDER, merchant_id, order_id, terminal, since)

    def order(
        self, merchant_id: int, order_id: int, *, terminal: tuple[int, int], since: datetime
    ) -> OrderRow | None:
        """The order (any status) with its lines and the throttle's counts, without a lock."""
        return self._order(_ORDER, merchant_id, order_id, terminal, since)

    def _order(
        self,
        query: Prepared,
        merchant_id: int,
        order_id: int,
        terminal: tuple[int, int],
        since: datetime,
    ) -> OrderRow | None:
        ids = {"b_merchant_id": merchant_id, "b_order_id": order_id}
        found = {"b_store": terminal[0], "b_terminal": terminal[1], "b_since": since}
        row = query.run(self.conn, {**ids, **found}).first()
        if row is None:
            return None
        lines = st.ORDER_LINES.run(self.conn, {"order_id": order_id})
        order = mapping.order(row, tuple(mapping.order_line(r) for r in lines))
        return OrderRow(order, int(row.g_store or 0), int(row.g_till or 0))

    def scan(
        self,
        merchant_id: int,
        value: str,
        *,
        store_id: int,
        terminal_id: int,
        key: str | None,
    ) -> ScannedRow | None:
        """The code of this merchant with everything a scan needs; None when there is none."""
        row = _SCAN.run(
            self.conn,
            {
                "b_code": value,
                "b_merchant": merchant_id,
                "b_store": store_id,
                "b_terminal": terminal_id,
                "b_key": key or "",
            },
        ).first()
        if row is None:
            return None
        stored = None
        if key and row.k_request_hash is not None:
            stored = IdempotencyRecord(
                terminal_id, key, row.k_request_hash, row.k_redemption_id, row.k_response
            )
        return ScannedRow(
            code=mapping.code(_part(row, "c_")),
            template=mapping.template(_part(row, "t_")),
            listing=mapping.listing(_part(row, "l_")),
            bound=bool(row.bound),
            stored=stored,
            buyer=bool(row.buyer),
        )
