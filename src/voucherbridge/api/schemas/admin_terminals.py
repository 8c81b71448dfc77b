"""Admin API models for cashier terminals: register, read, and the once-shown key."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Id, Patch, ShortText, Strict


class TerminalCreate(Strict):
    store_id: Id
    name: ShortText


class TerminalUpdate(Patch):
    name: ShortText | None = None
    active: (
        Annotated[
            bool,
            Field(strict=True, description="false: the key is refused at once; true: works again"),
        ]
        | None
    ) = None


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
