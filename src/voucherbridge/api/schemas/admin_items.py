"""Admin API models for the item catalogue (菜品): create, edit and read an item."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Fen, ItemCode, Patch, ShortText, Strict


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
