"""Admin API models for the audit log: the hash-chain check's answer.

The other audit answers are the services' records as they are (dataclasses serve as response
models); the chain check needs a model because an intact chain's answer has no `broken` key.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from voucherbridge.domain.audit_chain import Reason


class BrokenLinkRead(BaseModel):
    row_id: int | None
    seq: int
    reason: Reason
    detail: str


class ChainCheckRead(BaseModel):
    """Reads `audit.verify.ChainCheckView`; `broken` only when the chain is broken."""

    chain: int
    rows: int
    head_hash: str | None
    ok: bool
    broken: BrokenLinkRead | None = Field(default=None, exclude_if=lambda v: v is None)
    message: str
