"""Money is integer fen; this is the one place that converts to and from yuan."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
# Far beyond any bill, and inside Decimal's default 28-digit precision when quantized.
MAX_YUAN = Decimal(10) ** 15


def yuan_to_fen(yuan: str | int | Decimal) -> int:
    """Parse a yuan amount ("19.9", "100.00") into fen, rounding half up at the fen."""
    if isinstance(yuan, float):  # pragma: no cover - guarded for callers outside mypy
        raise TypeError("money must not be a float")
    try:
        value = Decimal(str(yuan))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {yuan!r}") from exc
    if not value.is_finite() or abs(value) >= MAX_YUAN:
        raise ValueError(f"not an amount: {yuan!r}")
    return int((value * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan_str(fen: int) -> str:
    """Format fen as yuan with two decimals, as printed on receipts: 10000 -> "100.00"."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"
