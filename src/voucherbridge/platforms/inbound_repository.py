"""The platform messages we acted on and what we answered (see `platforms.inbound_log`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository

_T = t.inbound_messages


class InboundMessageRepo(Repository):
    def answer_of(
        self, platform: str, action_key: str, message_id: str | None
    ) -> dict[str, Any] | None:
        """The answer given to this action, or to this message id, if either was acted on."""
        match = _T.c.action_key == action_key
        if message_id is not None:
            match = or_(match, _T.c.message_id == message_id)
        row = self.conn.execute(
            select(_T.c.answer).where(_T.c.platform == platform, match).limit(1)
        ).first()
        return dict(row.answer) if row is not None else None

    def claim(
        self,
        platform: str,
        action_key: str,
        message_id: str | None,
        now: datetime,
    ) -> bool:
        """Claim the action before acting; False when another transaction claimed it first.

        ON CONFLICT DO NOTHING over both unique keys: on PostgreSQL a duplicate racing an
        uncommitted claim waits for it and then does nothing, so the loser can roll back and
        read the winner's answer instead of failing.
        """
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        result = self.conn.execute(
            dialect.insert(_T)
            .values(
                platform=platform,
                action_key=action_key,
                message_id=message_id,
                answer={},
                received_at=now,
            )
            .on_conflict_do_nothing()
            .returning(_T.c.id)
        )
        return result.first() is not None

    def answer(self, platform: str, action_key: str, answer: dict[str, Any]) -> None:
        """The answer of a claimed action, in the claim's transaction."""
        self.conn.execute(
            update(_T)
            .where(_T.c.platform == platform, _T.c.action_key == action_key)
            .values(answer=answer)
        )
