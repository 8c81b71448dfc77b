"""Opening and reading orders (消费单) from a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.views import OrderView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.orders import OrderLine, order_total_fen, validate_lines
from voucherbridge.domain.records import Terminal


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
