"""The platform messages we acted on and what we answered (see `platforms.inbound_log`).

Every statement is built once (a flash sale runs three per callback): one built per call cost
its cache key on every call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository

_T = t.inbound_messages
_OF_ACTION = _T.c.action_key == bindparam("action_key")
_ANSWER_OF = {
    False: Prepared(
        select(_T.c.answer).where(_T.c.platform == bindparam("platform"), _OF_ACTION).limit(1)
    ),
    True: Prepared(
        select(_T.c.answer)
        .where(
            _T.c.platform == bindparam("platform"),
            or_(_OF_ACTION, _T.c.message_id == bindparam("message_id")),
        )
        .limit(1)
    ),
}
# ON CONFLICT DO NOTHING over both unique keys: on PostgreSQL a duplicate racing an uncommitted
# claim waits for it and then does nothing, so the loser can roll back and read the winner's
# answer instead of failing.
_CLAIM = {
    name: Prepared(dialect.insert(_T).on_conflict_do_nothing().returning(_T.c.id))
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_ANSWER = Prepared(
    update(_T)
    .where(_T.c.platform == bindparam("b_platform"), _T.c.action_key == bindparam("b_action"))
    .values(answer=bindparam("b_answer", type_=_T.c.answer.type))
)


class InboundMessageRepo(Repository):
    def answer_of(
        self, platform: str, action_key: str, message_id: str | None
    ) -> dict[str, Any] | None:
        """The answer given to this action, or to this message id, if either was acted on."""
        params = {"platform": platform, "action_key": action_key, "message_id": message_id}
        row = _ANSWER_OF[message_id is not None].run(self.conn, params).first()
        return dict(row.answer) if row is not None else None

    def claim(
        self,
        platform: str,
        action_key: str,
        message_id: str | None,
        now: datetime,
    ) -> bool:
        """Claim the action before acting; False when another transaction claimed it first."""
        values: dict[str, Any] = {
            "platform": platform,
            "action_key": action_key,
            "message_id": message_id,
            "answer": {},
            "received_at": now,
        }
        return _CLAIM[self.conn.dialect.name].run(self.conn, values).first() is not None

    def answer(self, platform: str, action_key: str, answer: dict[str, Any]) -> None:
        """The answer of a claimed action, in the claim's transaction."""
        params = {"b_platform": platform, "b_action": action_key, "b_answer": answer}
        _ANSWER.run(self.conn, params)
