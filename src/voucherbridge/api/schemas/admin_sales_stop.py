"""Admin API model for what disabling a listing or a template would leave behind."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SalesStopRead(BaseModel):
    kind: Literal["listing", "template"]
    id: int
    name: str
    active: bool
    unused_codes: int = Field(
        description="Codes sold and neither used nor expired: they keep redeeming after disabling"
    )
    listings: int = Field(description="Listings the template is sold under (1 for a listing)")
    platform_codes: bool = Field(
        description="A platform-code listing is involved: the platform holds its unused codes"
    )
