"""Admin API models for stores: create, edit and read a store."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Patch, ShortText, Strict


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
