"""Admin API models (/api/admin/v1): console requests and what they answer.

Request models refuse unknown fields and floats for money. PATCH models refuse an explicit
null for fields that cannot be empty, so a missing field means "leave as is".
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from voucherbridge.api.schemas.common import Fen, NoNul, ShortText, Strict

Id = Annotated[int, Field(strict=True, ge=1, le=2**62)]
ItemCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Username = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^\S+$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]
Role = Literal["hq_admin", "store_manager", "cashier"]
Kind = Literal["cash", "item", "deduction", "combo"]
PlatformName = Literal["weimall", "douyin", "meituan", "direct"]
CodeTypeName = Literal["merchant", "platform"]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]
Weekday = Annotated[int, Field(strict=True, ge=1, le=7, description="Monday = 1")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="2026-01-31")]
Minutes = Annotated[int, Field(strict=True, ge=0, le=7 * 24 * 60)]


class Patch(Strict):
    """A partial update: only the fields sent are changed; null only where listed."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in cls.NULLABLE)
            if nulls:
                raise ValueError(f"null is not allowed for {', '.join(nulls)}")
        return data


# --- login -------------------------------------------------------------------------------


class LoginRequest(NoNul):
    # Passwords are taken exactly as typed: no whitespace stripping here.
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class SessionUser(BaseModel):
    id: int
    username: str
    role: str
    store_ids: list[int] | None = Field(description="null: the whole chain (HQ)")


class LoginRead(BaseModel):
    token: str
    expires_at: str
    user: SessionUser


class MerchantRead(BaseModel):
    id: int
    name: str
    timezone: str


class MeRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    store_ids: list[int] | None
    active: bool
    merchant: MerchantRead


# --- stores ------------------------------------------------------------------------------


class StoreCreate(Strict):
    name: ShortText
    brand: Annotated[str, Field(max_length=100)] = ""
    address: Annotated[str, Field(max_length=200)] = ""


class StoreUpdate(Patch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"receipt_title", "opening_hours"})
    name: ShortText | None = None
    brand: Annotated[str, Field(max_length=100)] | None = None
    address: Annotated[str, Field(max_length=200)] | None = None
    receipt_title: Annotated[str, Field(max_length=100)] | None = None
    active: Annotated[bool, Field(strict=True)] | None = None
    opening_hours: Annotated[
        str | None,
        Field(max_length=100, description="营业时间 e.g. 10:00-22:00 or 10:00-14:00,17:00-02:00"),
    ] = None


class StoreRead(BaseModel):
    id: int
    name: str
    brand: str
    address: str
    receipt_title: str | None
    printed_title: str
    active: bool
    opening_hours: str | None = None


# --- items -------------------------------------------------------------------------------


class ItemCreate(Strict):
    item_code: ItemCode
    name: ShortText
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "份"
    unit_price_fen: Fen


class ItemUpdate(Patch):
    name: ShortText | None = None
    unit: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    unit_price_fen: Fen | None = None
    active: Annotated[bool, Field(strict=True)] | None = None


class ItemRead(BaseModel):
    id: int
    item_code: str
    name: str
    unit: str
    unit_price_fen: int
    active: bool


# --- terminals ---------------------------------------------------------------------------


class TerminalCreate(Strict):
    store_id: Id
    name: ShortText


class TerminalRead(BaseModel):
    id: int
    store_id: int
    name: str
    key_prefix: str
    active: bool
    created_at: str
    revoked_at: str | None


class TerminalIssued(TerminalRead):
    key: str = Field(description="The terminal's API key. Shown only in this response.")


# --- users -------------------------------------------------------------------------------


class UserCreate(NoNul):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Password
    role: Role
    store_ids: Annotated[list[Id], Field(max_length=1000)] = []
    display_name: Annotated[str, Field(max_length=100)] = ""


class UserUpdate(Patch):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    active: Annotated[bool, Field(strict=True)] | None = None
    store_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    password: Password | None = None
    display_name: Annotated[str, Field(max_length=100)] | None = None


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    store_ids: list[int] | None
    active: bool


# --- templates ---------------------------------------------------------------------------


class TimeWindowModel(Strict):
    start: ClockTime
    end: ClockTime


class TemplateFields(Patch):
    """Every rule of a template (SPEC flow 2)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"valid_from", "valid_to", "valid_days"})
    kind: Kind | None = None
    name: ShortText | None = None
    face_value_fen: Fen | None = None
    price_fen: Fen | None = None
    package_price_fen: Fen | None = None
    item_codes: Annotated[list[ItemCode], Field(max_length=50)] | None = None
    min_spend_fen: Fen | None = None
    store_ids: Annotated[list[Id], Field(max_length=1000)] | None = Field(
        default=None, description="Applicable stores; empty means every store of the merchant"
    )
    validity_mode: Literal["fixed", "relative"] | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    valid_days: Annotated[int, Field(strict=True, ge=1, le=3650)] | None = None
    weekdays: Annotated[list[Weekday], Field(max_length=7)] | None = None
    time_windows: Annotated[list[TimeWindowModel], Field(max_length=10)] | None = None
    per_order_limit: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    stackable: Annotated[bool, Field(strict=True)] | None = None
    active: Annotated[bool, Field(strict=True)] | None = None


class TemplateCreate(TemplateFields):
    kind: Kind
    name: ShortText
    face_value_fen: Fen
    price_fen: Fen
    validity_mode: Literal["fixed", "relative"]


class TemplateUpdate(TemplateFields):
    pass


class TemplateRead(BaseModel):
    id: int
    kind: str
    name: str
    face_value_fen: int
    price_fen: int
    package_price_fen: int
    item_codes: list[str]
    min_spend_fen: int
    store_ids: list[int]
    validity_mode: str
    valid_from: str | None
    valid_to: str | None
    valid_days: int | None
    weekdays: list[int]
    time_windows: list[dict[str, str]]
    per_order_limit: int
    stackable: bool
    active: bool
    created_at: str
    updated_at: str


# --- listings and codes ------------------------------------------------------------------


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
