"""Paying a table's bill through WeChat Pay: the JSAPI order for what is due, and the payment
notify that records a 'wechat' tender on the bill, once.

The notify is checked before anything is read (WeChat Pay's platform signature; forged ->
`invalid_signature`, nothing changes), opened (AES-256-GCM), matched against what we asked
(merchant account, out_trade_no, amount) and recorded in one unit of work with its audit row:
created -> paid with the tender, or -> refund_due when the bill was settled (or paid down) some
other way first, never a second tender. The row's status moves in one compare-and-set
statement, so a replayed or concurrent notify changes nothing and is answered like the first.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.counter.table_bills import bill_view, record_online_tender
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.selfpay.repository import OnlinePayment, OnlinePaymentRepo
from voucherbridge.selfpay.wechatpay import JsapiOrder, WeChatPay

REUSE_WITHIN = timedelta(minutes=30)  # a second tap on 微信支付 pays the same JSAPI order
PAID = "payment.wechat.paid"
REFUND_DUE = "payment.wechat.refund_due"


@dataclass(frozen=True, kw_only=True)
class StartedPayment:
    out_trade_no: str
    prepay_id: str
    amount_fen: int
    pay_url: str


@dataclass(frozen=True, kw_only=True)
class NotifyOutcome:
    out_trade_no: str
    status: str  # paid | refund_due
    replayed: bool


def start_payment(
    uow: UnitOfWorkFactory,
    pay: WeChatPay,
    *,
    merchant_id: int,
    order_id: int,
    openid: str,
    notify_url: str,
    now: datetime,
) -> StartedPayment:
    """A JSAPI order for the open bill's due (fen), paid by `openid`."""
    if not pay.configured:
        raise DomainError(ErrorCode.PAYMENT_NOT_CONFIGURED)
    with uow(write=True) as tx:
        bill = bill_view(tx, merchant_id=merchant_id, order_id=order_id)
        if bill is None or bill.status != "open":
            raise DomainError(ErrorCode.TABLE_NO_OPEN_BILL)
        if bill.due_fen <= 0:
            raise DomainError(ErrorCode.PAYMENT_NOTHING_DUE)
        payments = tx.repo(OnlinePaymentRepo)
        again = payments.reusable(merchant_id, order_id, bill.due_fen, openid, now - REUSE_WITHIN)
        if again is not None and again.prepay_id:
            return StartedPayment(
                out_trade_no=again.out_trade_no,
                prepay_id=again.prepay_id,
                amount_fen=again.amount_fen,
                pay_url=pay.pay_page_url(again.prepay_id),
            )
        store = tx.repo(StoreRepo).get(merchant_id, bill.store_id)
        out_trade_no = f"VB{order_id:010d}{secrets.token_hex(6).upper()}"
        payment_id = payments.add(
            {
                "merchant_id": merchant_id,
                "store_id": bill.store_id,
                "order_id": order_id,
                "table_no": bill.table,
                "out_trade_no": out_trade_no,
                "amount_fen": bill.due_fen,
                "openid": openid,
                "status": "created",
                "created_at": now,
            }
        )
        tx.commit()
    title = store.printed_title if store is not None else "消费"
    description = f"{title} 桌号{bill.table} 单号{bill.order_no}"[:120]
    prepay_id = pay.create_jsapi(  # outside any transaction: WeChat Pay may be slow
        JsapiOrder(
            description=description,
            out_trade_no=out_trade_no,
            notify_url=notify_url,
            total_fen=bill.due_fen,
            openid=openid,
        )
    )
    with uow(write=True) as tx:
        tx.repo(OnlinePaymentRepo).set_prepay(payment_id, prepay_id)
        tx.commit()
    return StartedPayment(
        out_trade_no=out_trade_no,
        prepay_id=prepay_id,
        amount_fen=bill.due_fen,
        pay_url=pay.pay_page_url(prepay_id),
    )


def _notice(pay: WeChatPay, headers: Mapping[str, str], body: bytes) -> dict[str, Any] | None:
    """The transaction a genuine TRANSACTION.SUCCESS notify carries (None: another event)."""
    text = body.decode("utf-8", errors="replace")
    if not pay.configured or not pay.verify(headers, text):
        raise DomainError(ErrorCode.INVALID_SIGNATURE)
    try:
        envelope = json.loads(text)
    except ValueError as exc:
        raise DomainError(ErrorCode.INVALID_SIGNATURE) from exc
    if not isinstance(envelope, dict) or envelope.get("event_type") != "TRANSACTION.SUCCESS":
        return None
    return pay.open_resource(envelope.get("resource"))


def _check(pay: WeChatPay, payment: OnlinePayment, plain: Mapping[str, Any]) -> str:
    """WeChat's transaction id, once the notify says what we asked (else `payment_mismatch`)."""
    raw_amount = plain.get("amount")
    amount: Mapping[str, Any] = raw_amount if isinstance(raw_amount, dict) else {}
    problems = [
        ("mchid", plain.get("mchid") == pay.mchid),
        ("trade_state", plain.get("trade_state") == "SUCCESS"),
        ("amount", amount.get("total") == payment.amount_fen),
        ("currency", amount.get("currency", "CNY") == "CNY"),
        ("transaction_id", isinstance(plain.get("transaction_id"), str)),
    ]
    for field, ok in problems:
        if not ok:
            raise DomainError(ErrorCode.PAYMENT_MISMATCH, field=field)
    transaction_id = str(plain["transaction_id"])
    if payment.transaction_id not in (None, transaction_id):
        raise DomainError(ErrorCode.PAYMENT_MISMATCH, field="transaction_id")
    return transaction_id


def record_notify(
    uow: UnitOfWorkFactory,
    pay: WeChatPay,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> NotifyOutcome | None:
    """Take one payment notify (see the module's note). None: a genuine notify of another
    event, acknowledged and ignored."""
    plain = _notice(pay, headers, body)
    if plain is None:
        return None
    with uow(write=True) as tx:
        payments = tx.repo(OnlinePaymentRepo)
        payment = payments.by_trade_no(str(plain.get("out_trade_no") or ""))
        if payment is None:
            raise DomainError(ErrorCode.PAYMENT_UNKNOWN)
        transaction_id = _check(pay, payment, plain)
        if payment.status != "created":
            return NotifyOutcome(
                out_trade_no=payment.out_trade_no, status=payment.status, replayed=True
            )
        order = record_online_tender(
            tx,
            merchant_id=payment.merchant_id,
            order_id=payment.order_id,
            amount_fen=payment.amount_fen,
            reference=transaction_id,
            now=now,
        )
        status = "paid" if order is not None else "refund_due"
        if not payments.mark(payment.id, status=status, transaction_id=transaction_id, paid_at=now):
            tx.rollback()  # another notify of this payment committed first
            return NotifyOutcome(out_trade_no=payment.out_trade_no, status=status, replayed=True)
        tx.repo(AuditRepo).add(
            payment.merchant_id,
            actor_type="platform",
            actor_id="wechatpay",
            action=PAID if status == "paid" else REFUND_DUE,
            subject=f"order:{payment.order_id}",
            before={"status": "created"},
            after={
                "status": status,
                "out_trade_no": payment.out_trade_no,
                "transaction_id": transaction_id,
                "amount_fen": payment.amount_fen,
                "table": payment.table_no,
            },
            now=now,
            store_id=payment.store_id,
        )
        payments.signal(payment.store_id)
        tx.commit()
    return NotifyOutcome(out_trade_no=payment.out_trade_no, status=status, replayed=False)
