"""What Douyin sells for the merchant: group-buy SKUs, with platform codes (Douyin mints them) or
merchant codes (三方码: Douyin asks our issue SPI for them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voucherbridge_sims.simkit.products import need_fen, need_text, need_texts
from voucherbridge_sims.simkit.state import JsonDict

MAX_CODES = 100  # what one order may hold (the order hook's limit)


@dataclass
class Product:
    sku_id: str
    title: str
    code_type: str  # "platform" | "merchant"
    third_sku_id: str  # merchant codes: our listing id ("" for platform codes)
    poi_ids: list[str] = field(default_factory=list)
    groupon_type: int = 2  # 1 团餐 2 代金 3 次卡
    original_amount: int = 0  # per code, fen
    pay_amount: int = 0  # per code, fen
    valid_days: int = 30
    uses: int = 1  # codes per unit bought: a 2-use product puts 2 codes on one order

    @property
    def key(self) -> str:
        return self.sku_id


def parse_product(sim: Any, body: JsonDict) -> Product:
    """``{"sku_id", "title", "code_type"? ("platform"), "third_sku_id" (merchant), "poi_ids",
    "groupon_type"? (2), "original_amount", "pay_amount", "valid_days"? (30), "uses"? (1)}``."""
    code_type = body.get("code_type", "platform")
    if code_type not in ("platform", "merchant"):
        raise ValueError("code_type must be platform or merchant")
    third = body.get("third_sku_id")
    if code_type == "merchant" or third is not None:
        third = need_text(body, "third_sku_id")
    groupon_type = need_fen(body, "groupon_type", 2)
    if groupon_type not in (1, 2, 3):
        raise ValueError("groupon_type must be 1, 2 or 3")
    valid_days, uses = need_fen(body, "valid_days", 30), need_fen(body, "uses", 1)
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    if not 1 <= uses <= MAX_CODES:
        raise ValueError(f"uses must be 1..{MAX_CODES}")
    return Product(
        sku_id=need_text(body, "sku_id"),
        title=need_text(body, "title"),
        code_type=code_type,
        third_sku_id=third or "",
        poi_ids=need_texts(body, "poi_ids"),
        groupon_type=groupon_type,
        original_amount=need_fen(body, "original_amount"),
        pay_amount=need_fen(body, "pay_amount"),
        valid_days=valid_days,
        uses=uses,
    )


def order_body(product: Product, quantity: int, openid: str | None) -> JsonDict:
    """The body of ``POST /_sim/douyin/orders`` that buying `quantity` of it amounts to."""
    body: JsonDict = {
        "code_type": product.code_type,
        "poi_ids": list(product.poi_ids),
        "sku_id": product.sku_id,
        "third_sku_id": product.third_sku_id,
        "title": product.title,
        "groupon_type": product.groupon_type,
        "count": quantity * product.uses,
        "original_amount": product.original_amount,
        "pay_amount": product.pay_amount,
        "valid_days": product.valid_days,
    }
    if openid:
        body["open_id"] = openid
    return body
