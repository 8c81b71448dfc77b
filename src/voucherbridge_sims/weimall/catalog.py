"""What the micro-mall sells for the merchant: coupons, each one of our listings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voucherbridge_sims.simkit.products import need_fen, need_text
from voucherbridge_sims.simkit.state import JsonDict


@dataclass
class Product:
    """``coupon_id`` is our listing's public id: the purchase push names it."""

    coupon_id: str
    title: str
    store_id: str
    unit_price_fen: int
    face_value_fen: int | None = None  # what the coupon is worth at the counter (shown only)

    @property
    def key(self) -> str:
        return self.coupon_id


def parse_product(sim: Any, body: JsonDict) -> Product:
    """``{"coupon_id", "title", "store_id"? (the default store), "unit_price_fen",
    "face_value_fen"?}``."""
    face = body.get("face_value_fen")
    return Product(
        coupon_id=need_text(body, "coupon_id"),
        title=need_text(body, "title"),
        store_id=need_text(body, "store_id", sim.config.store_id),
        unit_price_fen=need_fen(body, "unit_price_fen"),
        face_value_fen=None if face is None else need_fen(body, "face_value_fen"),
    )


def purchase_body(product: Product, quantity: int, openid: str | None) -> JsonDict:
    """The body of ``POST /_sim/weimall/purchases`` that buying `quantity` of it amounts to."""
    body: JsonDict = {
        "store_id": product.store_id,
        "coupon_id": product.coupon_id,
        "title": product.title,
        "unit_price_fen": product.unit_price_fen,
        "quantity": quantity,
    }
    if openid:
        body["openid"] = openid
    return body
