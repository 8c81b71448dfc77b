"""Prebuilt statements for the scan hot path (terminal key, order, code, redeem).

Building a SQLAlchemy expression costs more than running it on SQLite; these are built once
with named bind parameters and only executed per request; most of them are `Prepared`: compiled
once, then run on the driver's cursor (db/driver.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update

from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared

# A key counts only while its terminal is live, its store and merchant are active and, for a
# cashier's web terminal, its user is: all checked in the one indexed lookup of every request
# (the key hash is unique; the joins are primary keys), so deactivation bites at the next call.
TERMINAL_BY_KEY = Prepared(
    select(t.terminals, t.merchants.c.timezone)
    .join(t.merchants, t.merchants.c.id == t.terminals.c.merchant_id)
    .join(
        t.stores,
        and_(
            t.stores.c.id == t.terminals.c.store_id,
            t.stores.c.merchant_id == t.terminals.c.merchant_id,
        ),
    )
    .outerjoin(
        t.users,
        and_(
            t.users.c.id == t.terminals.c.user_id,
            t.users.c.merchant_id == t.terminals.c.merchant_id,
        ),
    )
    .where(
        t.terminals.c.key_hash == bindparam("key_hash"),
        t.terminals.c.revoked_at.is_(None),
        t.stores.c.active.is_(True),
        t.merchants.c.active.is_(True),
        or_(t.terminals.c.user_id.is_(None), t.users.c.active.is_(True)),
    )
)
ORDER = Prepared(
    select(t.orders).where(
        t.orders.c.merchant_id == bindparam("merchant_id"), t.orders.c.id == bindparam("order_id")
    )
)
# An order's lines as a POS sends them (opening an order, replacing its bill).
INSERT_ORDER_LINES = insert(t.order_lines)
SET_ORDER_NO = Prepared(
    update(t.orders).where(t.orders.c.id == bindparam("b_id")).values(order_no=bindparam("b_no"))
)
ORDER_LINES = Prepared(
    select(t.order_lines)
    .where(t.order_lines.c.order_id == bindparam("order_id"))
    .order_by(t.order_lines.c.line_no)
)
LOCK_OPEN_ORDER = Prepared(
    update(t.orders)
    .where(
        t.orders.c.merchant_id == bindparam("b_merchant_id"),
        t.orders.c.id == bindparam("b_order_id"),
        t.orders.c.status == "open",
    )
    .values(version=t.orders.c.version + 1)
)
CODE_BY_VALUE = Prepared(
    select(t.codes).where(
        t.codes.c.code == bindparam("code"), t.codes.c.merchant_id == bindparam("merchant_id")
    )
)
TEMPLATE = Prepared(
    select(t.voucher_templates).where(
        t.voucher_templates.c.merchant_id == bindparam("merchant_id"),
        t.voucher_templates.c.id == bindparam("template_id"),
    )
)
LISTING = Prepared(
    select(t.listings).where(
        t.listings.c.merchant_id == bindparam("merchant_id"),
        t.listings.c.id == bindparam("listing_id"),
    )
)
ACTIVE_REDEMPTIONS_OF_ORDER = Prepared(
    select(t.redemptions)
    .where(t.redemptions.c.order_id == bindparam("order_id"), t.redemptions.c.status == "active")
    .order_by(t.redemptions.c.id)
)
LATEST_REDEMPTION_OF_CODE = Prepared(
    select(t.redemptions)
    .where(t.redemptions.c.code_id == bindparam("code_id"))
    .order_by(t.redemptions.c.id.desc())
    .limit(1)
)
REDEMPTION_BY_ID = Prepared(
    select(t.redemptions).where(t.redemptions.c.id == bindparam("redemption_id"))
)
IDEMPOTENCY = Prepared(
    select(t.idempotency_keys).where(
        t.idempotency_keys.c.terminal_id == bindparam("terminal_id"),
        t.idempotency_keys.c.key == bindparam("key"),
    )
)


@cache
def insert_returning_id(table: Table) -> Prepared:
    """INSERT ... RETURNING id for `table`; values travel as parameters, not in the statement."""
    return Prepared(insert(table).returning(table.c.id))


@cache
def code_transition(expected: str, target: str) -> Prepared:
    """The compare-and-set that moves a code from `expected` to `target`, or touches nothing."""
    values: dict[str, Any] = {"status": target, "version": t.codes.c.version + 1}
    if target == "redeemed":
        values["redeemed_at"] = bindparam("b_now")
    elif target == "issued":
        values["redeemed_at"] = None
    elif target == "voided":
        values["voided_at"] = bindparam("b_now")
    return Prepared(
        update(t.codes)
        .where(t.codes.c.id == bindparam("b_code_id"), t.codes.c.status == expected)
        .values(**values)
    )
