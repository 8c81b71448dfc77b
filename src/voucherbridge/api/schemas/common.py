"""Field types shared by request models: money is a strict integer of fen, never a float."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_FEN = 100_000_000_000

Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, description="Amount in fen (分)")]
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_FEN, description="Amount in fen")]
Quantity = Annotated[int, Field(strict=True, ge=1, le=9_999)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
ScannedCode = Annotated[str, Field(min_length=1, max_length=256, description="As scanned or typed")]


class Strict(BaseModel):
    """Unknown fields are refused so that typos in an integration surface at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, object]


class ErrorEnvelope(BaseModel):
    """Every error: `{"error": {"code", "message", "details"}}`."""

    error: ErrorBody
