"""When to try a failed delivery again: exponential backoff with jitter, capped."""

from __future__ import annotations

import random
from datetime import timedelta

BASE_SECONDS = 5
CAP_SECONDS = 3600
MAX_ATTEMPTS = 10  # about 1.5 hours of tries before a row is dead and needs a person


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt `attempt + 1`: 5 s, 10 s, 20 s ... up to 1 h, each 50-100 %.

    The jitter keeps a fleet of workers from hammering a platform that just came back.
    """
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(attempt - 1, 0))
    jitter = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * jitter)


# The backoff stops growing at this many times the base wait; jitter adds up to one more.
WAIT_CAP = 16


def worst_call_s(attempts: int, timeout_s: float, wait_s: float) -> float:
    """The longest one call can take: every attempt times out, every wait is at its longest."""
    attempts = max(1, attempts)
    return attempts * timeout_s + (attempts - 1) * (WAIT_CAP + 1) * wait_s
