"""The request id: accepted from `X-Request-ID` (when it looks like one) or made, carried in a
context variable to the access log, the outbox rows the request writes, the platform calls it
makes, and the worker's log lines when it delivers those rows."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Iterator
from contextvars import ContextVar

HEADER = "X-Request-ID"
MAX_LENGTH = 64
# Letters, digits and a few separators: safe in a log line, a header and a JSON payload.
_SHAPE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_LENGTH - 1}}}")

current: ContextVar[str | None] = ContextVar("voucherbridge_request_id", default=None)


def new_request_id() -> str:
    """32 hex digits; an id to follow a request by, not a secret (no system call per request)."""
    return f"{random.getrandbits(128):032x}"


def accepted(value: str | bytes | None) -> str | None:
    """`value` when it is a usable request id (1-64 safe characters), else None."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not value:
        return None
    value = value.strip()
    return value if _SHAPE.fullmatch(value) else None


def request_id() -> str | None:
    """The id of the request (or delivery) this code runs for, if any."""
    return current.get()


@contextlib.contextmanager
def request_scope(value: str | None) -> Iterator[None]:
    """Run a block as part of request `value`: log lines carry it (core/logs.py adds it),
    platform calls send it (platforms/transport.py)."""
    token = current.set(value)
    try:
        yield
    finally:
        current.reset(token)
