"""Checkout (结账), reopening a closed bill (反结账), and the receipt model (结账单)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import StoreRepo, UserRepo
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.reversal import apply_reversal, window_minutes
from voucherbridge.counter.table_bill_repository import TableBillRepo
from voucherbridge.counter.views import OrderView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.alerts import REOPEN
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.receipts import MemberInfo, Receipt, ReceiptLine, ReceiptTender
from voucherbridge.domain.records import Order, Redemption, Tender, Terminal
from voucherbridge.domain.tenders import (
    TENDER_LABELS,
    VOUCHER_LABEL,
    TenderIn,
    mask_phone,
    settle,
)
from voucherbridge.notifications.events import notify_checkout

RECEIPT_TITLE = "结账单"
RECEIPT_FOOTER = "谢谢惠顾,欢迎下次光临!"


@dataclass(frozen=True, kw_only=True)
class MemberCard:
    """Member card data as the POS reports it (we print it; we do not keep balances)."""

    card_no: str
    phone: str = ""
    # None: the POS did not report it, and the receipt leaves its line off (never a made-up 0).
    balance_fen: int | None = None
    points_earned: int | None = None
    points_total: int | None = None


@dataclass(frozen=True, kw_only=True)
class TenderLine:
    """One payment the till reports at checkout: type, amount in fen, its reference (WeChat,
    Alipay), and the member card for a member_card payment."""

    type: str
    amount_fen: int
    reference: str | None = None
    member: MemberCard | None = None


def checkout_order(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    order_id: int,
    tenders: Sequence[TenderLine],
    cashier: str | None,
    now: datetime,
) -> OrderView:
    """Close the order when the tenders cover what is due; vouchers count by themselves."""
    with uow:
        if not uow.repo(OrderRepo).lock_open(terminal.merchant_id, order_id):
            _own_order(uow, terminal, order_id)
            raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)
        order = _own_order(uow, terminal, order_id)
        vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
        # Paid online before checkout (self-pay's WeChat Pay): already on the bill, counted.
        prepaid = uow.repo(OrderRepo).tenders(order_id)
        due = order.total_fen - sum(r.discount_fen for r in vouchers)
        due -= sum(t.amount_fen for t in prepaid)
        change = settle(due, [_tender_in(t) for t in tenders])
        first = uow.repo(TableBillRepo).next_tender_seq(order_id)
        rows = [_tender_row(first + i, t) for i, t in enumerate(tenders)]
        if rows:
            uow.repo(OrderRepo).add_tenders(order_id, rows, now)
        rows = [*prepaid, *rows]
        uow.repo(OrderRepo).close(
            terminal.merchant_id,
            order_id,
            now=now,
            cashier=_operator(uow, terminal, cashier),
            change_fen=change,
        )
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action="order.checkout",
            subject=f"order:{order_id}",
            before={"status": "open"},
            after={
                "status": "closed",
                "paid_fen": sum(t.amount_fen for t in rows),
                "vouchers_fen": order.total_fen - due,
                "change_fen": change,
            },
            now=now,
        )
        closed = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
        assert closed is not None
        notify_checkout(  # 消费完成通知 to the buyers of the vouchers used, sent by the worker
            uow,
            merchant_id=terminal.merchant_id,
            store_id=terminal.store_id,
            order_id=order_id,
            total_fen=order.total_fen,
            vouchers=vouchers,
            now=now,
        )
        uow.commit()
        return OrderView.of(closed, vouchers, ZoneInfo(terminal.timezone), rows)


def reopen_order(
    uow: UnitOfWork, *, terminal: Terminal, order_id: int, reason: str | None, now: datetime
) -> OrderView:
    """反结账: reopen a closed order and give its vouchers back, all or nothing."""
    with uow:
        order = _own_order(uow, terminal, order_id)
        if order.status != "closed":
            raise DomainError(ErrorCode.ORDER_NOT_CLOSED, order_id=order_id)
        vouchers = uow.repo(RedemptionRepo).active_for_order(order_id)
        late = [r for r in vouchers if now > r.reversible_until]
        if late:
            raise DomainError(
                ErrorCode.REVERSAL_WINDOW_CLOSED, minutes=window_minutes(late[0]), code=late[0].code
            )
        if not uow.repo(OrderRepo).reopen(terminal.merchant_id, order_id):
            raise DomainError(ErrorCode.ORDER_NOT_CLOSED, order_id=order_id)
        uow.repo(OrderRepo).void_tenders(order_id)
        for redemption in vouchers:
            apply_reversal(uow, terminal, redemption, reason or "反结账", now)
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action=REOPEN,
            subject=f"order:{order_id}",
            before={"status": "closed"},
            after={
                "order_id": order_id,
                "status": "open",
                "reversed": [r.public_id for r in vouchers],
            },
            now=now,
        )
        reopened = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
        assert reopened is not None
        uow.commit()
        return OrderView.of(reopened, [], ZoneInfo(terminal.timezone))


def print_receipt(uow: UnitOfWork, *, terminal: Terminal, order_id: int, count: bool) -> Receipt:
    """The 结账单 of a closed order; each counted print raises 第N次打印 by one."""
    with uow:
        order = _own_order(uow, terminal, order_id)
        if order.status != "closed":
            raise DomainError(ErrorCode.ORDER_NOT_CLOSED, order_id=order_id)
        prints = (
            uow.repo(OrderRepo).count_print(terminal.merchant_id, order_id)
            if count
            else max(order.print_count, 1)
        )
        store = uow.repo(StoreRepo).get(terminal.merchant_id, order.store_id)
        assert store is not None
        receipt = build_receipt(
            order,
            uow.repo(RedemptionRepo).active_for_order(order_id),
            uow.repo(OrderRepo).tenders(order_id),
            store_title=store.printed_title,
            print_count=prints,
            zone=ZoneInfo(terminal.timezone),
        )
        uow.commit()
        return receipt


def build_receipt(
    order: Order,
    vouchers: Sequence[Redemption],
    tenders: Sequence[Tender],
    *,
    store_title: str,
    print_count: int,
    zone: ZoneInfo,
) -> Receipt:
    """Lay the order's numbers onto the receipt model; payments first, then 票券xN."""
    paid = [ReceiptTender(TENDER_LABELS[t.type], t.amount_fen) for t in tenders]
    if vouchers:
        paid.append(
            ReceiptTender(f"{VOUCHER_LABEL}x{len(vouchers)}", sum(r.discount_fen for r in vouchers))
        )
    member = next((t.member for t in tenders if t.type == "member_card" and t.member), None)
    return Receipt(
        store_title=store_title,
        title=RECEIPT_TITLE,
        table=order.table_no,
        order_no=order.order_no,
        guests=order.guests,
        cashier=order.cashier,
        print_count=print_count,
        opened_at=order.opened_at.astimezone(zone),
        closed_at=order.closed_at.astimezone(zone) if order.closed_at else None,
        lines=tuple(
            ReceiptLine(ln.name, ln.quantity, ln.unit, ln.amount_fen) for ln in order.lines
        ),
        service_fee_fen=order.service_fee_fen,
        total_fen=order.total_fen,
        due_fen=order.total_fen,
        tenders=tuple(paid),
        change_fen=order.change_fen,
        member=_member(member),
        footer=RECEIPT_FOOTER,
    )


def _operator(uow: UnitOfWork, terminal: Terminal, cashier: str | None) -> str:
    """收银 on the receipt: the signed-in cashier of a cashier-page session, else the name the
    POS sends, else the till's own name."""
    if terminal.user_id is not None:
        user = uow.repo(UserRepo).get(terminal.merchant_id, terminal.user_id)
        if user is not None:
            return (user.display_name.strip() or user.username)[:64]
    return ((cashier or "").strip() or terminal.name)[:64]


def _member(raw: dict[str, Any] | None) -> MemberInfo | None:
    # `raw` is the member JSON a tender row keeps (see `_tender_row`), read back from the table;
    # a figure the POS did not report is absent from it and stays None (no line on the receipt).
    if not raw:
        return None
    return MemberInfo(
        card_no=str(raw.get("card_no", "")),
        phone_masked=mask_phone(str(raw.get("phone", ""))),
        balance_fen=_given(raw.get("balance_fen")),
        points_earned=_given(raw.get("points_earned")),
        points_total=_given(raw.get("points_total")),
    )


def _given(value: Any) -> int | None:
    return int(value) if value is not None else None


def _tender_in(tender: TenderLine) -> TenderIn:
    """The tender as `settle` checks it (its member card as the JSON the POS sent)."""
    member = dataclasses.asdict(tender.member) if tender.member is not None else None
    return TenderIn(tender.type, tender.amount_fen, tender.reference, member)


def _tender_row(seq: int, tender: TenderLine) -> Tender:
    """The tender row; its member card is kept as JSON, with the phone number masked and
    without the figures the POS did not report."""
    member = None
    if tender.member is not None:
        given = {k: v for k, v in dataclasses.asdict(tender.member).items() if v is not None}
        member = {**given, "phone": mask_phone(tender.member.phone)}
    return Tender(seq, tender.type, tender.amount_fen, tender.reference, member)


def _own_order(uow: UnitOfWork, terminal: Terminal, order_id: int) -> Order:
    order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
    if order is None or order.store_id != terminal.store_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
    return order
