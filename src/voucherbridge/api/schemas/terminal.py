"""Terminal API models (the published contract, /api/v1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import (
    Fen,
    PositiveFen,
    Quantity,
    ScannedCode,
    ShortText,
    Strict,
)

OrderId = Annotated[int, Field(strict=True, ge=1, le=2**62)]


class OrderLineIn(Strict):
    item_code: Annotated[str, Field(min_length=1, max_length=64)]
    name: ShortText
    quantity: Quantity
    unit_price_fen: Fen
    # Left out: the catalogue item's unit (条, 瓶 ...); 份 for an item the catalogue lacks.
    unit: Annotated[str, Field(min_length=1, max_length=16)] | None = None


class OrderCreate(Strict):
    table: Annotated[str, Field(max_length=32)] = ""
    guests: Annotated[int, Field(strict=True, ge=0, le=10_000)] = 0
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    service_fee_fen: Fen = 0


class OrderLinesReplace(Strict):
    """An open order's new lines (quantities changed, lines removed or added), all of them."""

    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]


class CodeOnOrder(Strict):
    code: ScannedCode
    order_id: OrderId


class RedeemRequest(CodeOnOrder):
    # A consumer who bought several vouchers in one platform order: use N of them in one scan.
    count: Annotated[int, Field(strict=True, ge=1, le=20)] = 1


class ReverseRequest(Strict):
    reason: Annotated[str, Field(max_length=200)] | None = None


class OrderLineOut(BaseModel):
    line_no: int
    item_code: str
    name: str
    unit: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class RedemptionRead(BaseModel):
    id: str
    code: str
    platform: str
    kind: str
    name: str
    discount_fen: int
    order_id: int
    store_id: int
    status: str
    redeemed_at: str
    reversible_until: str
    reversed_at: str | None
    redemptions: list[RedemptionRead] | None = None  # count > 1: one per voucher, first first


class TenderRead(BaseModel):
    type: str
    amount_fen: int
    reference: str | None
    member: dict[str, object] | None  # the member card as the POS reported it, phone masked


class OrderRead(BaseModel):
    id: int
    order_no: str
    store_id: int
    table: str
    guests: int
    status: str
    lines: list[OrderLineOut]
    service_fee_fen: int
    total_fen: int
    discount_fen: int
    vouchers: list[RedemptionRead]
    tenders: list[TenderRead]
    paid_fen: int
    change_fen: int
    due_fen: int
    cashier: str
    opened_at: str
    closed_at: str | None


class OpenBillRead(BaseModel):
    """One open bill (挂单) of the store; `opened_at` in the merchant's zone."""

    id: int
    order_no: str
    table: str
    guests: int
    opened_at: str
    total_fen: int
    discount_fen: int
    due_fen: int
    vouchers: list[RedemptionRead]


class PrepareRead(BaseModel):
    code: str
    platform: str
    kind: str
    name: str
    face_value_fen: int
    discount_fen: int
    valid_until: str | None
    redeemable: bool
    available_count: int | None = None  # platform codes: how many one scan can redeem
    platform_title: str | None = None


class MemberIn(Strict):
    """Member card data as the POS reports it (we print it; we do not keep balances)."""

    card_no: Annotated[str, Field(min_length=1, max_length=32)]
    phone: Annotated[str, Field(max_length=20)] = ""
    # Left out (or null): the POS did not say, and the receipt prints no line for it.
    balance_fen: Annotated[int, Field(strict=True, ge=0, le=10**11)] | None = None
    points_earned: Annotated[int, Field(strict=True, ge=0, le=10**9)] | None = None
    points_total: Annotated[int, Field(strict=True, ge=0, le=10**12)] | None = None


class TenderModel(Strict):
    type: Literal["cash", "member_card", "wechat", "alipay"]
    amount_fen: PositiveFen
    reference: Annotated[str, Field(max_length=64)] | None = None
    member: MemberIn | None = None


class CheckoutRequest(Strict):
    tenders: Annotated[list[TenderModel], Field(max_length=20)] = []
    cashier: Annotated[str, Field(max_length=64)] | None = None


class ReopenRequest(Strict):
    reason: Annotated[str, Field(max_length=200)] | None = None
