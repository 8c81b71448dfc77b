"""Field types shared by request models: money is a strict integer of fen, never a float."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_FEN = 100_000_000_000
# For path and query strings: PostgreSQL cannot compare or store NUL (a 500 there).
NO_NUL = r"^[^\x00]*$"

Fen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN, description="Amount in fen (分)")]
PositiveFen = Annotated[int, Field(strict=True, gt=0, le=MAX_FEN, description="Amount in fen")]
Quantity = Annotated[int, Field(strict=True, ge=1, le=9_999)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
ScannedCode = Annotated[str, Field(min_length=1, max_length=256, description="As scanned or typed")]
Id = Annotated[int, Field(strict=True, ge=1, le=2**62)]
ItemCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class NoNul(BaseModel):
    """NUL in any text is refused: PostgreSQL cannot store it (a 500 there, kept on SQLite)."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text must not contain NUL characters")
        return value


class Strict(NoNul):
    """Unknown fields are refused so that typos in an integration surface at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Strict):
    """A partial update: only the fields sent are changed; null only where listed.

    An explicit null for a field that cannot be empty is refused, so a missing field means
    "leave as is".
    """

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in cls.NULLABLE)
            if nulls:
                raise ValueError(f"null is not allowed for {', '.join(nulls)}")
        return data


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, object]


class ErrorEnvelope(BaseModel):
    """Every error: `{"error": {"code", "message", "details"}}`."""

    error: ErrorBody
