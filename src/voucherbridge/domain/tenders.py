"""Tenders at checkout: which payments close a bill, and the change to give."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str

TENDER_LABELS = {"cash": "现金", "member_card": "会员卡", "wechat": "微信支付", "alipay": "支付宝"}
VOUCHER_LABEL = "票券"
_PHONE = re.compile(r"^(\d{3})\d{4}(\d{4})$")


@dataclass(frozen=True, slots=True)
class TenderIn:
    """A payment the till reports: type, amount in fen, its reference, member card data."""

    type: str
    amount_fen: int
    reference: str | None = None
    member: dict[str, Any] | None = None


def mask_phone(phone: str) -> str:
    """18112344469 → 181****4469; an already masked number is kept as given."""
    match = _PHONE.match(phone.strip())
    return f"{match.group(1)}****{match.group(2)}" if match else phone.strip()


def settle(due_fen: int, tenders: Sequence[TenderIn]) -> int:
    """Check the tenders against what is due and return the change (only cash gives change).

    Card, WeChat and Alipay are exact payments: together they may not exceed what is due.
    """
    for tender in tenders:
        if tender.type not in TENDER_LABELS:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="type")
        if tender.amount_fen <= 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="amount_fen")
        if tender.type in ("wechat", "alipay") and not tender.reference:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="reference")
        if tender.type == "member_card" and not (tender.member or {}).get("card_no"):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="member.card_no")
    non_cash = sum(t.amount_fen for t in tenders if t.type != "cash")
    if non_cash > due_fen:
        raise DomainError(ErrorCode.TENDER_EXCEEDS_DUE, due=fen_to_yuan_str(due_fen))
    paid = sum(t.amount_fen for t in tenders)
    if paid < due_fen:
        raise DomainError(ErrorCode.CHECKOUT_SHORT, short=fen_to_yuan_str(due_fen - paid))
    return paid - due_fen
