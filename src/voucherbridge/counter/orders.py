"""Opening and reading orders (消费单) from a terminal."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.counter.bill_repository import OpenBillRepo
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.views import OpenBillView, OrderView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.domain.orders import OrderLine, order_total_fen, validate_lines
from voucherbridge.domain.records import Order, Redemption, Terminal


def create_order(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    table: str,
    guests: int,
    lines: Sequence[OrderLine],
    service_fee_fen: int,
    now: datetime,
) -> OrderView:
    """Open an order for the terminal's store and return it with its totals."""
    validate_lines(lines, service_fee_fen)
    if not 0 <= guests <= 10_000:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="guests", reason="range")
    with uow:
        zone = ZoneInfo(terminal.timezone)
        order_id = uow.repo(OrderRepo).add(
            terminal.merchant_id,
            store_id=terminal.store_id,
            terminal_id=terminal.id,
            table_no=table,
            guests=guests,
            service_fee_fen=service_fee_fen,
            total_fen=order_total_fen(lines, service_fee_fen),
            lines=lines,
            now=now,
            order_no_prefix=now.astimezone(zone).strftime("%Y%m%d"),
        )
        order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
        assert order is not None
        uow.commit()
        return OrderView.of(order, [], zone)


def get_order(uow: UnitOfWork, *, terminal: Terminal, order_id: int) -> OrderView:
    """The order with its lines, vouchers and what is still due; other stores' orders 404."""
    with uow:
        order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
        if order is None or order.store_id != terminal.store_id:
            raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
        vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
        tenders = uow.repo(OrderRepo).tenders(order_id)
        return OrderView.of(order, vouchers, ZoneInfo(terminal.timezone), tenders)


def list_open_orders(uow: UnitOfWork, *, terminal: Terminal) -> list[OpenBillView]:
    """The bills the terminal's store keeps open (挂单), oldest first, with their vouchers."""
    with uow:
        bills = uow.repo(OpenBillRepo)
        orders = bills.open_in_store(terminal.merchant_id, terminal.store_id)
        vouchers = bills.vouchers_of([o.id for o in orders])
    zone = ZoneInfo(terminal.timezone)
    return [OpenBillView.of(o, vouchers[o.id], zone) for o in orders]


def replace_lines(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    order_id: int,
    lines: Sequence[OrderLine],
    now: datetime,
) -> OrderView:
    """Replace an open order's lines (quantities changed, lines removed or added).

    The order's row lock (its version bump) is taken first, so a redemption on the same order
    waits for this change or this change waits for it; the new total may never fall below
    what the vouchers already on the order take.
    """
    with uow:
        orders = uow.repo(OrderRepo)
        if not orders.lock_open(terminal.merchant_id, order_id):
            _own(uow, terminal, order_id)
            raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)
        order = _own(uow, terminal, order_id)
        validate_lines(lines, order.service_fee_fen)
        lines = _keep_line_numbers(order.lines, lines)
        total = order_total_fen(lines, order.service_fee_fen)
        vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
        _check_voucher_lines(order.lines, lines, vouchers)
        applied = sum(r.discount_fen for r in vouchers)
        if total < applied:
            raise DomainError(
                ErrorCode.ORDER_TOTAL_BELOW_VOUCHERS,
                total=fen_to_yuan_str(total),
                discount=fen_to_yuan_str(applied),
            )
        uow.repo(OpenBillRepo).replace_lines(order_id, lines, total)
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action="order.lines",
            subject=f"order:{order_id}",
            before={"total_fen": order.total_fen, "lines": len(order.lines)},
            after={"total_fen": total, "lines": len(lines)},
            now=now,
            store_id=order.store_id,
        )
        changed = orders.get(terminal.merchant_id, order_id)
        assert changed is not None
        uow.commit()
        return OrderView.of(changed, vouchers, ZoneInfo(terminal.timezone))


def _keep_line_numbers(old: Sequence[OrderLine], new: Sequence[OrderLine]) -> list[OrderLine]:
    """Each new line keeps the number of the first unused old line of the same item, so what a
    voucher took from a line (its allocations, by line number) stays on that line; a line new
    to the bill gets a number after the old ones."""
    free: dict[str, list[int]] = {}
    for line in old:
        free.setdefault(line.item_code, []).append(line.line_no)
    fresh = max((line.line_no for line in old), default=0) + 1
    numbered: list[OrderLine] = []
    for line in new:
        numbers = free.get(line.item_code)
        if numbers:
            number = numbers.pop(0)
        else:
            number, fresh = fresh, fresh + 1
        numbered.append(dataclasses.replace(line, line_no=number))
    return sorted(numbered, key=lambda line: line.line_no)


def _check_voucher_lines(
    old: Sequence[OrderLine], new: Sequence[OrderLine], vouchers: Sequence[Redemption]
) -> None:
    """A line an item voucher (实物券, 套餐券 ...) took from stays, worth at least what it took."""
    taken: dict[int, int] = {}
    for redemption in vouchers:
        for number, fen in redemption.allocations.items():
            taken[number] = taken.get(number, 0) + fen
    now = {line.line_no: line for line in new}
    before = {line.line_no: line for line in old}
    for number, fen in sorted(taken.items()):
        line = now.get(number)
        if fen > 0 and (line is None or line.amount_fen < fen) and number in before:
            raise DomainError(ErrorCode.ORDER_LINE_HAS_VOUCHER, name=before[number].name)


def _own(uow: UnitOfWork, terminal: Terminal, order_id: int) -> Order:
    order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
    if order is None or order.store_id != terminal.store_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
    return order
