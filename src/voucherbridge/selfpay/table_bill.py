"""The guest's side of a table's bill: the bill of the table a QR names, the guest's vouchers
usable at that store, using one of them, and paying the rest.

A voucher is prepared and redeemed through the counter's own use cases as the bill's till
(`counter.table_bills.bill_terminal`), so the rules, the error codes and the idempotency are the
cashier's: the key is derived from the bill, the code and the page's nonce, so a double tap
redeems once and answers the first redemption again. Only the guest's own codes can be used,
and only on a bill of the merchant the table belongs to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from voucherbridge.chain.repository import StoreRepo
from voucherbridge.consumer.vouchers import MyVoucher, my_voucher, my_vouchers
from voucherbridge.counter import scan
from voucherbridge.counter.recording import RedeemOutcome
from voucherbridge.counter.table_bills import bill_at_table, bill_terminal
from voucherbridge.counter.throttle import GuessLimits
from voucherbridge.counter.views import OrderView, PrepareView
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Store
from voucherbridge.platforms.ports import PlatformGateway
from voucherbridge.selfpay.repository import (
    OnlinePayment,
    OnlinePaymentRepo,
    StoreTable,
    StoreTableRepo,
)


@dataclass(frozen=True, kw_only=True)
class TableBill:
    """What the guest's phone shows for a table."""

    table: StoreTable
    store: Store
    bill: OrderView | None
    vouchers: tuple[MyVoucher, ...]  # the guest's, usable at this store now
    payments: tuple[OnlinePayment, ...]  # of this bill, newest last


def table_of(uow: UnitOfWork, token: str) -> StoreTable:
    """The active table of a QR token (`table_not_found` otherwise). The caller holds `uow`."""
    if not token or len(token) > 64:
        raise DomainError(ErrorCode.TABLE_NOT_FOUND)
    table = uow.repo(StoreTableRepo).by_token(token)
    if table is None or not table.active:
        raise DomainError(ErrorCode.TABLE_NOT_FOUND)
    return table


def merchant_of_table(uow: UnitOfWorkFactory, token: str) -> int:
    """The merchant a table's QR belongs to (whose consumer session the page needs)."""
    with uow() as tx:
        return table_of(tx, token).merchant_id


def table_bill(uow: UnitOfWorkFactory, *, token: str, openid: str, now: datetime) -> TableBill:
    """The table's newest open bill, the guest's vouchers for this store, its payments."""
    with uow() as tx:
        table = table_of(tx, token)
        store = tx.repo(StoreRepo).get(table.merchant_id, table.store_id)
        if store is None or not store.active:
            raise DomainError(ErrorCode.TABLE_NOT_FOUND)
        bill = bill_at_table(
            tx, merchant_id=table.merchant_id, store_id=table.store_id, table_no=table.table_no
        )
        mine = my_vouchers(tx, table.merchant_id, openid, table.store_id, now=now)
        payments = tx.repo(OnlinePaymentRepo).of_order(table.merchant_id, bill.id) if bill else []
    return TableBill(
        table=table,
        store=store,
        bill=bill,
        vouchers=tuple(v for v in mine if v.usable_now),
        payments=tuple(payments),
    )


def open_bill_id(uow: UnitOfWorkFactory, token: str) -> tuple[StoreTable, int]:
    """The table and the id of its open bill (`table_no_open_bill` when there is none)."""
    with uow() as tx:
        table = table_of(tx, token)
        bill = bill_at_table(
            tx, merchant_id=table.merchant_id, store_id=table.store_id, table_no=table.table_no
        )
    if bill is None or bill.status != "open":
        raise DomainError(ErrorCode.TABLE_NO_OPEN_BILL)
    return table, bill.id


def idempotency_key(order_id: int, code: str, nonce: str) -> str:
    """The cashier's kind of Idempotency-Key for the phone's 使用: bill + code + page nonce."""
    digest = hashlib.sha256(f"{order_id}\n{code}\n{nonce}".encode()).hexdigest()
    return f"wx-table-{digest[:48]}"


def _own_code(
    uow: UnitOfWorkFactory, merchant_id: int, openid: str, code: str, now: datetime
) -> str:
    with uow() as tx:
        mine = my_voucher(tx, merchant_id, openid, code, now=now)
    if mine is None:  # someone else's code, or none: as unknown as at the counter
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND)
    return mine.code


def prepare_voucher(
    uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    token: str,
    openid: str,
    code: str,
    now: datetime,
    guess_limits: GuessLimits,
) -> PrepareView:
    """验券准备 of one of the guest's codes on the table's bill (changes nothing)."""
    table, order_id = open_bill_id(uow, token)
    own = _own_code(uow, table.merchant_id, openid, code, now)
    with uow() as tx:
        terminal = bill_terminal(tx, merchant_id=table.merchant_id, order_id=order_id)
    return scan.prepare_scanned(
        uow,
        gateway,
        terminal=terminal,
        raw_code=own,
        order_id=order_id,
        now=now,
        guess_limits=guess_limits,
    )


def use_voucher(
    uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    token: str,
    openid: str,
    code: str,
    nonce: str,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guess_limits: GuessLimits,
) -> RedeemOutcome:
    """核销 one of the guest's codes on the table's bill, once per bill + code + page nonce."""
    if not nonce or len(nonce) > 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="nonce")
    table, order_id = open_bill_id(uow, token)
    own = _own_code(uow, table.merchant_id, openid, code, now)
    with uow() as tx:
        terminal = bill_terminal(tx, merchant_id=table.merchant_id, order_id=order_id)
    return scan.redeem_scanned(
        uow,
        gateway,
        terminal=terminal,
        raw_code=own,
        order_id=order_id,
        count=1,
        idempotency_key=idempotency_key(order_id, own, nonce),
        now=now,
        reversal_windows=reversal_windows,
        guess_limits=guess_limits,
    )
