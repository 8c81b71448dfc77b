"""The outbox page's rows in the merchant's words: what was sent (核销 / 撤销), where to
(抖音核销同步 ...), why it failed as a sentence of the error catalogue, and when, in the
merchant's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.domain.errors import DomainError
from voucherbridge.domain.notifications import EVENTS
from voucherbridge.outbox.failures import read_failure
from voucherbridge.outbox.service import OutboxRowView

# Chinese msgids; the page translates them (locale/en/console.po). Unknown ones show as stored.
TOPIC_LABELS = {
    "code.redeemed": "核销",
    "code.reversed": "撤销",
    **{f"notify.{event}": label for event, label in EVENTS.items()},
}
DESTINATION_LABELS = {
    "notify": "微信消息通知",
    "platform:douyin": "抖音核销同步",
    "platform:meituan": "美团核销同步",
    "platform:weimall": "微商城核销同步",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxLine:
    """One row of the outbox table as a person reads it."""

    id: int
    status: str
    attempts: int
    topic: str
    destination: str
    code: str  # the voucher code the message is about ("" when it names none)
    error: DomainError | None  # a catalogue refusal, rendered in the page's language
    detail: str  # words without a catalogue code (an HTTP status, a skipped row's reason)
    retries_exhausted: bool
    created_at: datetime | None  # in the merchant's zone
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, row: OutboxRowView, zone: ZoneInfo) -> OutboxLine:
        failure = read_failure(row.last_error)
        error = None
        if failure is not None and failure.code is not None:
            error = DomainError(failure.code, **failure.params)
        code = row.payload.get("code")
        return cls(
            id=row.id,
            status=row.status,
            attempts=row.attempts,
            topic=TOPIC_LABELS.get(row.topic, row.topic),
            destination=DESTINATION_LABELS.get(row.destination, row.destination),
            code=code if isinstance(code, str) else "",
            error=error,
            detail=failure.detail if failure is not None and error is None else "",
            retries_exhausted=failure is not None and failure.retries_exhausted,
            created_at=_local(row.created_at, zone),
            next_attempt_at=_local(row.next_attempt_at, zone) if row.status == "pending" else None,
        )


def _local(text: str | None, zone: ZoneInfo) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(zone) if text else None
