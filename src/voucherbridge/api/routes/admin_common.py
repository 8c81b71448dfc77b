"""What every admin API route module shares: the prefix, the documented errors, path types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from voucherbridge.api.schemas.common import NO_NUL, ErrorEnvelope

PREFIX = "/api/admin/v1"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope} for status in (401, 403, 404, 409, 422)
}

IdPath = Annotated[int, Path(ge=1, le=2**62)]
ItemCodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


def admin_router(*, documented_errors: bool = True) -> APIRouter:
    """A router for one admin feature under /api/admin/v1, tagged "admin".

    With `documented_errors` its operations list the error envelope for 401/403/404/409/422.
    """
    return APIRouter(prefix=PREFIX, tags=["admin"], responses=ERRORS if documented_errors else None)
