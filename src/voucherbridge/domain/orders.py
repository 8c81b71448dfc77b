"""Order lines and totals, in integer fen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voucherbridge.domain.errors import DomainError, ErrorCode

MAX_QUANTITY = 9_999
MAX_UNIT_PRICE_FEN = 100_000_000  # one million yuan: beyond any dish, well inside int64
MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of a bill: 朝日超爽黑生啤 2 份 x 18.00."""

    line_no: int
    item_code: str
    name: str
    quantity: int
    unit_price_fen: int
    unit: str = "份"

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


def validate_lines(lines: Sequence[OrderLine], service_fee_fen: int) -> None:
    """Refuse lines no till could ring up: empty, negative, absurd quantities."""
    if not lines:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="lines", reason="empty")
    if len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="lines", reason="too_many")
    if not 0 <= service_fee_fen <= MAX_UNIT_PRICE_FEN:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="service_fee_fen", reason="range")
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="quantity", reason="range")
        if not 0 <= line.unit_price_fen <= MAX_UNIT_PRICE_FEN:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="unit_price_fen", reason="range")


def order_total_fen(lines: Sequence[OrderLine], service_fee_fen: int) -> int:
    """订单金额: every line plus the service fee."""
    return sum(line.amount_fen for line in lines) + service_fee_fen
