"""What Dianping / Meituan sells for the merchant: group-buy deals, each sold at some shops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voucherbridge_sims.simkit.products import need_fen, need_text, need_texts
from voucherbridge_sims.simkit.state import JsonDict


@dataclass
class Product:
    deal_id: str
    title: str
    open_shop_uuids: list[str] = field(default_factory=list)
    price_fen: int = 0
    market_price_fen: int = 0
    valid_days: int = 30
    code_length: int = 10  # 12: the newer receipts that look like Douyin codes

    @property
    def key(self) -> str:
        return self.deal_id


def parse_product(sim: Any, body: JsonDict) -> Product:
    """``{"deal_id", "title", "open_shop_uuids", "price_fen", "market_price_fen"? (the price),
    "valid_days"? (30), "code_length"? (10 or 12)}``."""
    price = need_fen(body, "price_fen")
    valid_days, length = need_fen(body, "valid_days", 30), need_fen(body, "code_length", 10)
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    if length not in (10, 12):
        raise ValueError("code_length must be 10 or 12")
    return Product(
        deal_id=need_text(body, "deal_id"),
        title=need_text(body, "title"),
        open_shop_uuids=need_texts(body, "open_shop_uuids"),
        price_fen=price,
        market_price_fen=need_fen(body, "market_price_fen", price),
        valid_days=valid_days,
        code_length=length,
    )


def yuan_text(fen: int) -> str:
    """Exact yuan text for the receipts hook (which reads yuan, as Dianping writes prices)."""
    return f"{fen // 100}.{fen % 100:02d}"


def receipts_body(product: Product, quantity: int) -> JsonDict:
    """The body of ``POST /_sim/meituan/receipts`` that buying `quantity` of it amounts to."""
    return {
        "open_shop_uuids": list(product.open_shop_uuids),
        "deal_id": product.deal_id,
        "title": product.title,
        "price_yuan": yuan_text(product.price_fen),
        "market_price_yuan": yuan_text(product.market_price_fen),
        "count": quantity,
        "valid_days": product.valid_days,
        "code_length": product.code_length,
    }
