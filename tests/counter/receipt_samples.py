"""Receipts used by the printing tests; `seed_receipt` is the 结账单 from the Chinese manual."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.domain.receipts import MemberInfo, Receipt, ReceiptLine, ReceiptTender

SHANGHAI = ZoneInfo("Asia/Shanghai")


def seed_receipt() -> Receipt:
    """The receipt printed at the end of seed 000 (右姑娘火锅, table S001, 284.00 paid)."""
    return Receipt(
        store_title="右姑娘火锅(皇岗 店)",
        title="结账单",
        table="S001",
        order_no="20200525000",
        guests=10,
        cashier="系统管理员",
        print_count=1,
        opened_at=datetime(2020, 5, 25, 15, 23, tzinfo=SHANGHAI),
        closed_at=datetime(2020, 5, 25, 17, 31, tzinfo=SHANGHAI),
        lines=(
            ReceiptLine("朝日超爽黑生啤", 2, "份", 3600),
            ReceiptLine("王老吉", 1, "份", 4800),
            ReceiptLine("凉瓜黄豆汤底", 1, "条", 19900),
        ),
        service_fee_fen=100,
        total_fen=28400,
        due_fen=28400,
        tenders=(ReceiptTender("会员卡", 18400), ReceiptTender("票券x1", 10000)),
        change_fen=0,
        member=MemberInfo(
            card_no="469658366010495662",
            phone_masked="181****4469",
            balance_fen=40894,
            points_earned=284,
            points_total=681,
        ),
        footer="谢谢惠顾,欢迎下次光临!",
    )


def cash_receipt_with_change() -> Receipt:
    """A walk-in guest paying 300.00 cash for the same order: 16.00 change, no member card."""
    return replace(
        seed_receipt(),
        tenders=(ReceiptTender("现金", 30000),),
        change_fen=1600,
        member=None,
    )
