"""Why a delivery failed, kept in the outbox row's `last_error` in a shape a page can render.

A receiver's refusal is stored as JSON: the error code of the catalogue (i18n/catalogue.py) and
its params, so the console writes it as a sentence in the reader's language, e.g.
``{"code": "platform_refused", "params": {"platform": "douyin", "description": "..."}}``.
A row that went dead because its retries ran out says so with ``"retries_exhausted": true``.
Words a deliverer sends without a code (an HTTP status, a crash) are kept as ``"detail"``.

Rows written before this shape are read too: ``{code}: {python dict}`` and the
``retries exhausted: `` prefix.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from voucherbridge.domain.errors import ErrorCode

# The prefix rows written before the JSON shape carry when their retries ran out.
OLD_RETRIES_SPENT = "retries exhausted: "
_OLD_CODED = re.compile(r"^([a-z_]+): (\{.*\})$", re.DOTALL)
_CODES = {c.value: c for c in ErrorCode}


@dataclass(frozen=True, slots=True)
class Failure:
    """A stored delivery failure: a catalogue code and its params, or words without a code."""

    code: ErrorCode | None = None
    params: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    retries_exhausted: bool = False


def coded(code: ErrorCode, params: dict[str, Any]) -> str:
    """The stored text of a receiver's refusal with a catalogue code."""
    return _dump({"code": code.value, "params": params})


def retries_spent(text: str) -> str:
    """The stored text of a row that went dead after its last retry failed with `text`."""
    found = _json(text)
    body = dict(found) if found is not None else {"detail": text}
    return _dump({**body, "retries_exhausted": True})


def read_failure(text: str | None) -> Failure | None:
    """The failure a row's `last_error` holds, whichever shape it was written in."""
    if not text:
        return None
    found = _json(text)
    if found is not None:
        code = _CODES.get(str(found.get("code") or ""))
        params = found.get("params")
        return Failure(
            code=code,
            params=params if isinstance(params, dict) and code else {},
            detail=str(found.get("detail") or ("" if code else text)),
            retries_exhausted=found.get("retries_exhausted") is True,
        )
    if text.startswith(OLD_RETRIES_SPENT):
        inner = read_failure(text.removeprefix(OLD_RETRIES_SPENT)) or Failure()
        return Failure(inner.code, inner.params, inner.detail, retries_exhausted=True)
    return _old_coded(text) or Failure(detail=text)


def _old_coded(text: str) -> Failure | None:
    """``platform_refused: {'platform': 'douyin', ...}``: what sync.py wrote before the JSON."""
    match = _OLD_CODED.match(text.strip())
    if not match or match.group(1) not in _CODES:
        return None
    try:
        params = ast.literal_eval(match.group(2))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(params, dict):
        return None
    return Failure(_CODES[match.group(1)], {str(k): v for k, v in params.items()})


def _json(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _dump(body: dict[str, Any]) -> str:
    # Chinese stays readable in the table and in the admin API (no \\u escapes); a value JSON
    # cannot hold (a date in a platform's params) is kept as its text.
    return json.dumps(body, ensure_ascii=False, default=str, sort_keys=True)
