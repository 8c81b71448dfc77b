"""Admin API models for the session: login, and the logged-in user (me)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from voucherbridge.api.schemas.common import NoNul


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
