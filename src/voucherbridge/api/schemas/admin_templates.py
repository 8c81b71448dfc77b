"""Admin API models for voucher templates (券模板): every rule, create, edit and read."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Fen, Id, ItemCode, Patch, ShortText, Strict

Kind = Literal["cash", "item", "deduction", "combo"]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]
Weekday = Annotated[int, Field(strict=True, ge=1, le=7, description="Monday = 1")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="2026-01-31")]


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
