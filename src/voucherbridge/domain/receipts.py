"""The receipt (结账单) as data: one model that every printer format renders.

Built by the checkout service from a closed order; the text, ESC/POS and PDF renderers in
adapters/printing only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """商品名称 / 数量 / 金额: 朝日超爽黑生啤, 2, 份, 3600."""

    name: str
    quantity: int
    unit: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class ReceiptTender:
    """One payment line: 会员卡: 184.00, 票券x1: 100.00, 现金: 50.00."""

    label: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """The member card block, as the POS reported it (卡号, masked phone, balance, points);
    None: not reported, so not printed."""

    card_no: str
    phone_masked: str
    balance_fen: int | None
    points_earned: int | None
    points_total: int | None


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything printed on a 结账单, with times already in the merchant's zone."""

    store_title: str  # 右姑娘火锅(皇岗 店)
    title: str  # 结账单
    table: str  # 台位
    order_no: str  # 单号
    guests: int  # 人数
    cashier: str  # 收银
    print_count: int  # 第N次打印
    opened_at: datetime  # 开台, local time
    closed_at: datetime | None  # 结账, local time
    lines: tuple[ReceiptLine, ...]
    service_fee_fen: int  # 服务费
    total_fen: int  # 订单金额
    due_fen: int  # 应付金额
    tenders: tuple[ReceiptTender, ...]
    change_fen: int  # 找零 (cash given above what was due)
    member: MemberInfo | None
    footer: str  # 谢谢惠顾,欢迎下次光临!
