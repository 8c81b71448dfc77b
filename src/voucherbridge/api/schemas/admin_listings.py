"""Admin API models for listings (关联), issuing merchant codes and the code archive."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Id, Patch, ShortText, Strict

PlatformName = Literal["weimall", "douyin", "meituan", "direct"]
CodeTypeName = Literal["merchant", "platform"]
Minutes = Annotated[int, Field(strict=True, ge=0, le=7 * 24 * 60)]


class ListingCreate(Strict):
    template_id: Id
    platform: PlatformName
    code_type: CodeTypeName = "merchant"
    title: ShortText
    platform_product_id: Annotated[str, Field(max_length=64)] | None = None
    reversal_window_minutes: Minutes | None = None


class ListingUpdate(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"platform_product_id", "reversal_window_minutes"}
    )
    title: ShortText | None = None
    code_type: CodeTypeName | None = None
    platform_product_id: Annotated[str, Field(max_length=64)] | None = None
    reversal_window_minutes: Minutes | None = None
    active: Annotated[bool, Field(strict=True)] | None = None


class ListingRead(BaseModel):
    id: int
    public_id: str = Field(description="商家平台商品ID: paste it into the platform")
    template_id: int
    platform: str
    code_type: str
    title: str
    platform_product_id: str | None
    reversal_window_minutes: int | None
    active: bool
    created_at: str


class IssueRequest(Strict):
    quantity: Annotated[int, Field(strict=True, ge=1, le=1000)]
    reference: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Replaying the same reference returns the same codes"
    )


class IssuedBatch(BaseModel):
    listing_id: int
    reference: str
    codes: list[str]
    created: bool


class CodeEventRead(BaseModel):
    event: str
    at: str
    store_id: int | None
    order_id: int | None
    redemption_id: int | None
    actor: str


class CodeArchive(BaseModel):
    code: str
    status: str
    platform: str
    listing_id: int
    template_id: int
    valid_from: str | None
    valid_until: str | None
    issued_at: str | None = None
    events: list[CodeEventRead]
