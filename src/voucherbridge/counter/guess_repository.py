"""Unknown codes counted per till and per store, for the code-guessing throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, select

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

_tries = t.code_attempts
# Every scan runs this; built once, because building it costs more than running it on SQLite.
_MISS = _tries.c.kind == "miss"
_GUESS_COUNTS = select(
    func.count().filter(_MISS),
    func.count().filter(and_(_MISS, _tries.c.terminal_id == bindparam("b_terminal"))),
).where(_tries.c.store_id == bindparam("b_store"), _tries.c.at > bindparam("b_since"))


class GuessRepo(Repository):
    """Unknown codes counted per till and per store (the code-guessing throttle)."""

    def guess_counts(self, store_id: int, terminal_id: int, since: datetime) -> tuple[int, int]:
        """Unknown codes at the store and at the till since `since`: one indexed range count."""
        row = self.conn.execute(
            _GUESS_COUNTS, {"b_store": store_id, "b_terminal": terminal_id, "b_since": since}
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    def oldest_miss(self, store_id: int, terminal_id: int | None, since: datetime) -> datetime:
        query = select(func.min(_tries.c.at)).where(
            _tries.c.store_id == store_id, _tries.c.at > since, _tries.c.kind == "miss"
        )
        if terminal_id is not None:
            query = query.where(_tries.c.terminal_id == terminal_id)
        found = self.conn.execute(query).scalar()
        return found if found is not None else since

    def throttle_noted(self, store_id: int, terminal_id: int, since: datetime) -> bool:
        """Whether this till's burst of refusals was already written to the audit log."""
        found = self.conn.execute(
            select(func.count()).where(
                _tries.c.store_id == store_id,
                _tries.c.terminal_id == terminal_id,
                _tries.c.at > since,
                _tries.c.kind == "throttled",
            )
        ).scalar()
        return bool(found)

    def add_attempt(
        self, merchant_id: int, store_id: int, terminal_id: int, kind: str, now: datetime
    ) -> None:
        self._insert(
            _tries,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "terminal_id": terminal_id,
                "kind": kind,
                "at": now,
            },
        )

    def prune_attempts(self, store_id: int, before: datetime) -> None:
        """Counts only look back a minute; older rows are dead weight."""
        self.conn.execute(delete(_tries).where(_tries.c.store_id == store_id, _tries.c.at < before))
