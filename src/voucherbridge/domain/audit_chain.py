"""The audit log's hash chain: how a row is hashed, and where a chain stops adding up.

Each row's hash covers its own fields and the previous row's hash, so editing, deleting or
moving a row breaks every link after it. There is no secret in the hash on purpose: anyone
holding a copy of the log can check it, and an anchor kept elsewhere (the head hash printed by
`voucherbridge audit verify`) catches a rewrite of the whole tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

GENESIS = "0" * 64
# Everything a row says, except its id (assigned after hashing) and the two hash columns.
HASHED_FIELDS = (
    "merchant_id",
    "store_id",
    "seq",
    "actor_type",
    "actor_id",
    "action",
    "subject",
    "before",
    "after",
    "at",
)
Reason = Literal["edited", "deleted", "reordered", "broken"]


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored audit row as the verifier sees it."""

    id: int
    fields: Mapping[str, Any]
    prev_hash: str | None
    row_hash: str | None

    @property
    def seq(self) -> int:
        return int(self.fields.get("seq") or 0)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """What the chain-head row remembers: the last position and hash appended."""

    last_seq: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class Break:
    """The first place a chain stops adding up; `row_id` None means after the last row."""

    row_id: int | None
    seq: int
    reason: Reason
    detail: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit row")
        return value.astimezone(UTC).isoformat()
    return value


def canonical(fields: Mapping[str, Any]) -> str:
    """Sorted JSON of the hashed fields, times as ISO UTC; equal rows give equal text."""
    picked = {name: _plain(fields.get(name)) for name in HASHED_FIELDS}
    # A JSON round trip first: the database hands back {"1": ..} for {1: ..} and lists for
    # tuples, and the hash must not depend on which side of the database it was taken.
    plain = json.loads(json.dumps(picked, ensure_ascii=False, default=str))
    return json.dumps(plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def hash_row(fields: Mapping[str, Any], prev_hash: str) -> str:
    """sha256 hex of the previous hash and the row's canonical text."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(fields)}".encode()).hexdigest()


def first_broken_link(rows: Sequence[ChainRow], head: ChainHead | None = None) -> Break | None:
    """Walk one chain in id order; None when every link holds (and matches the head)."""
    seqs = {row.seq for row in rows}
    expected_prev, expected_seq = GENESIS, 1
    previous: ChainRow | None = None
    for row in rows:
        if row.row_hash is None or hash_row(row.fields, row.prev_hash or "") != row.row_hash:
            return Break(row.id, row.seq, "edited", "row content does not match its hash")
        if row.seq != expected_seq:
            if row.seq < expected_seq or expected_seq in seqs:
                return Break(row.id, row.seq, "reordered", f"expected position {expected_seq}")
            missing = row.seq - expected_seq
            return Break(row.id, row.seq, "deleted", f"{missing} row(s) missing before this one")
        if row.prev_hash != expected_prev:
            if previous is None:
                return Break(row.id, row.seq, "edited", "first row does not start the chain")
            # Both rows hash correctly, so the earlier one was rewritten and re-hashed.
            return Break(previous.id, previous.seq, "edited", "row re-hashed after an edit")
        expected_prev, expected_seq, previous = row.row_hash, row.seq + 1, row
    if head is not None and (head.last_seq, head.last_hash) != (expected_seq - 1, expected_prev):
        if head.last_seq > expected_seq - 1:
            missing = head.last_seq - (expected_seq - 1)
            return Break(None, expected_seq, "deleted", f"last {missing} row(s) missing")
        return Break(None, expected_seq, "broken", "chain head does not match the last row")
    return None
