"""The bill of a table as self-pay sees it: found by the table's number, acted on as the till
that opened it, and paid into by an online payment (a tender recorded before checkout).

The guest's phone has no terminal of its own: prepare and redeem run as the bill's own till, so
the same rules, errors and idempotency apply as at the counter, and the redemption shows on the
till like one of its own.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.chain.repository import MerchantRepo, TerminalRepo
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.table_bill_repository import TableBillRepo
from voucherbridge.counter.views import OrderView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Order, Tender, Terminal

ONLINE_TENDER = "wechat"


def bill_at_table(
    uow: UnitOfWork, *, merchant_id: int, store_id: int, table_no: str
) -> OrderView | None:
    """The table's newest open bill with its vouchers and payments (None: nothing open).
    The caller holds `uow` open."""
    order_id = uow.repo(TableBillRepo).newest_open(merchant_id, store_id, table_no)
    if order_id is None:
        return None
    return bill_view(uow, merchant_id=merchant_id, order_id=order_id)


def bill_view(uow: UnitOfWork, *, merchant_id: int, order_id: int) -> OrderView | None:
    """One bill as the till sees it (None: not this merchant's). The caller holds `uow` open."""
    order = uow.repo(OrderRepo).get(merchant_id, order_id)
    if order is None:
        return None
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    zone = ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")
    vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
    return OrderView.of(order, vouchers, zone, uow.repo(OrderRepo).tenders(order_id))


def bill_terminal(uow: UnitOfWork, *, merchant_id: int, order_id: int) -> Terminal:
    """The till that opened an open bill, as the phone acts through it (with the merchant's
    zone); `table_no_open_bill` when the bill is not open or has no till."""
    order = uow.repo(OrderRepo).get(merchant_id, order_id)
    if order is None or order.status != "open" or order.terminal_id is None:
        raise DomainError(ErrorCode.TABLE_NO_OPEN_BILL)
    terminal = uow.repo(TerminalRepo).get(merchant_id, order.terminal_id)
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    if terminal is None or merchant is None:
        raise DomainError(ErrorCode.TABLE_NO_OPEN_BILL)
    return dataclasses.replace(terminal, timezone=merchant.timezone)


def record_online_tender(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    order_id: int,
    amount_fen: int,
    reference: str,
    now: datetime,
) -> Order | None:
    """Record an online payment on an open bill as a tender, when it fits what is still due
    (the bill's row locked first). None, changing nothing: the bill is closed, or the payment
    is more than is now due (a voucher or another payment got there first) -- a refund case.
    The caller holds a write `uow` open and commits."""
    if not uow.repo(OrderRepo).lock_open(merchant_id, order_id):
        return None
    order = uow.repo(OrderRepo).get(merchant_id, order_id)
    assert order is not None
    vouchers = sum(r.discount_fen for r in uow.repo(RedemptionRepo).active_for_order(order_id))
    paid = sum(t.amount_fen for t in uow.repo(OrderRepo).tenders(order_id))
    if amount_fen <= 0 or amount_fen > order.total_fen - vouchers - paid:
        return None
    seq = uow.repo(TableBillRepo).next_tender_seq(order_id)
    tender = Tender(seq, ONLINE_TENDER, amount_fen, reference, None)
    uow.repo(OrderRepo).add_tenders(order_id, [tender], now)
    return order
