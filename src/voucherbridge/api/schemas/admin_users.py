"""Admin API models for console users: create, edit and read a user."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from voucherbridge.api.schemas.common import Id, NoNul, Patch

Username = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^\S+$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]
Role = Literal["hq_admin", "store_manager", "cashier"]


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
