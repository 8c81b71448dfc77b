"""Act on a platform message once; answer every resend or replay with the first answer.

A message is known by the action it asks for (``purchase:{order}``, ``refund:{refund_no}``, ...)
and, where the platform numbers its messages, by its message id: either seen before means the
stored answer goes back unchanged and nothing is done. The claim, the action and the answer
are one transaction, so a crash between them leaves nothing behind, and a failed action (a
business refusal the platform may retry) stores nothing and is evaluated afresh next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.inbound_repository import InboundMessageRepo

log = structlog.get_logger("voucherbridge.platforms.inbound")
Act = Callable[[UnitOfWork], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Answered:
    answer: dict[str, Any]
    replayed: bool


def answer_once(
    make_uow: UnitOfWorkFactory,
    *,
    platform: str,
    action_key: str,
    message_id: str | None,
    act: Act,
    now: datetime,
) -> Answered:
    """``act`` runs in the transaction that claims ``action_key``; it must not commit."""
    action_key, message_id = action_key[:200], message_id[:128] if message_id else None
    with make_uow(write=True) as uow:
        inbox = uow.repo(InboundMessageRepo)
        stored = inbox.answer_of(platform, action_key, message_id)
        if stored is None and inbox.claim(platform, action_key, message_id, now):
            answer = act(uow)
            inbox.answer(platform, action_key, answer)
            uow.commit()
            return Answered(answer, replayed=False)
    if stored is None:
        # Lost the claim to a duplicate that committed meanwhile: its answer is ours.
        with make_uow() as uow:
            stored = uow.repo(InboundMessageRepo).answer_of(platform, action_key, message_id)
    if stored is None:
        raise DomainError(ErrorCode.CONFLICT)
    log.info("platform.message.replayed", platform=platform, action=action_key.split(":")[0])
    return Answered(stored, replayed=True)
