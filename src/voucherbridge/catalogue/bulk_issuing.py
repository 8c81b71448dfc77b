"""Issuing many merchant codes at once (a print run of 50,000 paper vouchers): batches of
`MAX_BATCH`, each its own transaction under the reference `<reference>-<n>`, so a run that
stops half way is resumed by running it again with the same reference (done batches replay)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from voucherbridge.catalogue.issuing import MAX_BATCH, issue_batch
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode

MAX_RUN = 1_000_000


@dataclass(frozen=True, slots=True)
class BatchDone:
    """One batch of a run: its codes, whether they were made now or replayed, and the run's
    progress after it."""

    reference: str
    codes: list[str]
    created: bool
    issued: int
    quantity: int


def batch_sizes(quantity: int, size: int = MAX_BATCH) -> list[int]:
    """`quantity` split into batches of at most `size` (the last one takes the rest)."""
    if not 1 <= quantity <= MAX_RUN:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="quantity", reason="range")
    full, rest = divmod(quantity, size)
    return [size] * full + ([rest] if rest else [])


def issue_run(
    make_uow: UnitOfWorkFactory,
    *,
    actor: Actor,
    listing_id: int,
    quantity: int,
    reference: str,
    now: Callable[[], datetime],
) -> Iterator[BatchDone]:
    """Issue `quantity` codes batch by batch, yielding after each committed batch."""
    reference = reference.strip()[:48]
    if not reference:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="reference", reason="required")
    issued = 0
    for n, size in enumerate(batch_sizes(quantity), start=1):
        batch = issue_batch(
            make_uow(write=True),
            actor=actor,
            listing_id=listing_id,
            quantity=size,
            reference=f"{reference}-{n:04d}",
            now=now(),
        )
        if len(batch.codes) != size:  # the reference was used before for another size
            raise DomainError(ErrorCode.CONFLICT, what=f"reference {batch.reference}")
        issued += size
        yield BatchDone(batch.reference, batch.codes, batch.created, issued, quantity)
