"""Order per code: rows about one code reach their destination in the order they were queued.

A use and its reversal queued while a platform was down used to be delivered in whatever
order their backoff made them due; a reversal sent first was refused ("not found") and went
dead, then the use arrived and the platform showed the code used while we showed it reversed.

The rule lives in the claim query (`OutboxRepo.claim`), so it holds across worker processes
and within a batch: a row is claimed only when no earlier row (lower id) of its order key is
pending (due or waiting on a retry) or in flight. A waiting row is not claimed at all: no
attempt counted, no lease taken. Delivered, dead and skipped rows no longer hold anything back.
The ids give the order: every event of a code is written in the transaction that changes the
code's state, after the previous one committed, so a later event always has the higher id.

When the earlier row went dead, the later one is delivered or skipped as its deliverer decides
(platforms/sync.py: a reversal whose use the platform refused is skipped, no platform call).
A person retrying the dead row puts the rows skipped behind it back in the queue, behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Statuses that hold back the later rows of their key.
ACTIVE = ("pending", "inflight")
# A row that needs no delivery because of what happened to an earlier one (see above).
SKIPPED = "skipped"


def order_key(destination: str, payload: Mapping[str, Any]) -> str | None:
    """The key a message is ordered under: its destination and the code it is about, if any."""
    code = payload.get("code")
    return f"{destination}:{code}" if isinstance(code, str) and code else None
