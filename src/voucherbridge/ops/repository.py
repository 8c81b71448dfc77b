"""What running the service needs to know of the database: does it answer, what time does it
think it is, how much of the outbox waits and how much is dead, per destination."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.outbox.ordering import ACTIVE

_o = t.outbox


class OpsRepo(Repository):
    def ping(self) -> None:
        self.conn.execute(text("select 1"))

    def server_now(self) -> datetime:
        """The database server's clock (UTC)."""
        value = self.conn.execute(select(func.now())).scalar_one()
        if isinstance(value, str):  # SQLite's CURRENT_TIMESTAMP: 'YYYY-MM-DD HH:MM:SS', UTC
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def outbox_by_destination(self) -> dict[str, dict[str, int]]:
        """Rows per destination and status group: `backlog` (pending or in flight), `dead`."""
        rows = self.conn.execute(
            select(_o.c.destination, _o.c.status, func.count())
            .where(_o.c.status.in_((*ACTIVE, "dead")))
            .group_by(_o.c.destination, _o.c.status)
        )
        found: dict[str, dict[str, int]] = {}
        for destination, status, n in rows:
            counts = found.setdefault(str(destination), {"backlog": 0, "dead": 0})
            counts["dead" if status == "dead" else "backlog"] += int(n)
        return found

    def outbox_backlog(self) -> int:
        """Rows still to deliver (pending or in flight), all destinations."""
        return int(
            self.conn.execute(
                select(func.count()).select_from(_o).where(_o.c.status.in_(ACTIVE))
            ).scalar_one()
        )
