"""Our side against the platform's, code by code (pure rules, no I/O).

Each side is reduced to one entry per code for the day: a code used, undone and used again the
same day counts as used (the live use); a code only undone counts as reversed. Then:

- matched: both used with the same amount, or both show it undone (or we undid it and the
  platform does not list it: Douyin and Dianping leave undone uses off their statements);
- theirs_only: the platform lists a code we have no use of that day;
- ours_only: we used a code the platform does not list;
- amount_differs: both used, the platform settles another amount;
- status_differs: one side used it, the other shows it undone.

Totals count used codes only: ours, theirs and theirs − ours, in fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

REDEEMED, REVERSED = "redeemed", "reversed"
KINDS = ("matched", "theirs_only", "ours_only", "amount_differs", "status_differs")
MISMATCHES = KINDS[1:]


@dataclass(frozen=True)
class Entry:
    """One side's record of a code that day."""

    code: str
    amount_fen: int
    status: str  # redeemed | reversed
    at: datetime | None
    reference: str  # our redemption id, or the platform's line id


@dataclass(frozen=True)
class Line:
    kind: str
    code: str
    ours: Entry | None
    theirs: Entry | None


@dataclass(frozen=True)
class Comparison:
    lines: list[Line] = field(default_factory=list)
    ours_fen: int = 0
    theirs_fen: int = 0

    @property
    def difference_fen(self) -> int:
        return self.theirs_fen - self.ours_fen

    def count(self, kind: str) -> int:
        return sum(1 for line in self.lines if line.kind == kind)

    @property
    def mismatches(self) -> int:
        return sum(1 for line in self.lines if line.kind in MISMATCHES)


def by_code(entries: Iterable[Entry]) -> dict[str, Entry]:
    """One entry per code: the live use when there is one, else the latest."""
    chosen: dict[str, Entry] = {}
    for entry in entries:
        if not entry.code:
            continue
        kept = chosen.get(entry.code)
        if kept is None or _rank(entry) >= _rank(kept):
            chosen[entry.code] = entry
    return chosen


def _rank(entry: Entry) -> tuple[bool, float]:
    return (entry.status == REDEEMED, entry.at.timestamp() if entry.at else 0.0)


def _kind(ours: Entry | None, theirs: Entry | None) -> str:
    if ours is None:
        return "theirs_only"
    if theirs is None:
        return "matched" if ours.status == REVERSED else "ours_only"
    if ours.status != theirs.status:
        return "status_differs"
    if ours.status == REDEEMED and ours.amount_fen != theirs.amount_fen:
        return "amount_differs"
    return "matched"


def compare(ours: Iterable[Entry], theirs: Iterable[Entry]) -> Comparison:
    """The lines in code order, and the fen totals of what each side counts as used."""
    mine, platform = by_code(ours), by_code(theirs)
    lines = [
        Line(_kind(mine.get(code), platform.get(code)), code, mine.get(code), platform.get(code))
        for code in sorted(mine.keys() | platform.keys())
    ]
    return Comparison(
        lines=lines,
        ours_fen=sum(e.amount_fen for e in mine.values() if e.status == REDEEMED),
        theirs_fen=sum(e.amount_fen for e in platform.values() if e.status == REDEEMED),
    )
