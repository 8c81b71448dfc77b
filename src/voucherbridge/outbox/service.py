"""Delivering the outbox: every side effect leaves our database at least once, retried with
backoff, idempotent at the receiver (our ids travel with each message), dead after a budget,
and retryable by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.core.request_id import request_scope
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.backoff import MAX_ATTEMPTS, retry_delay
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import OutboxRow
from voucherbridge.outbox.failures import read_failure, retries_spent
from voucherbridge.outbox.repository import OutboxRepo

log = structlog.get_logger("voucherbridge.outbox")
LEASE = timedelta(minutes=2)  # for callers without settings (tests, one-off runs)
UTC_ZONE = ZoneInfo("UTC")


class DeliveryFailed(Exception):
    """The receiver did not take the message. `permanent` ones go straight to dead; `wait`
    ones are given back uncounted, behind an earlier message of their code (ordering.py)."""

    def __init__(self, reason: str, *, permanent: bool = False, wait: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.wait = wait


class NothingToDeliver(Exception):
    """The message needs no delivery any more (the row is closed as skipped, with `reason`)."""


Outcome = DeliveryFailed | NothingToDeliver | None
# What a deliverer writes down about a message it delivered, in the transaction that marks the
# row delivered (one commit for both, instead of one each).
AfterDelivery = Callable[[UnitOfWork], None]


class Deliverer(Protocol):
    """Sends one outbox message to its destination, or raises DeliveryFailed or
    NothingToDeliver; may hand back what to record with the delivery."""

    def __call__(self, row: OutboxRow) -> AfterDelivery | None: ...


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    waiting: int = 0  # given back uncounted: an earlier row of their code came back
    errors: list[str] = field(default_factory=list)


def deliver_due(
    make_uow: UnitOfWorkFactory,
    deliverers: Mapping[str, Deliverer],
    clock: Callable[[], datetime],
    *,
    batch: int = 10,
    lease: timedelta = LEASE,
    max_attempts: int = MAX_ATTEMPTS,
    stop: threading.Event | None = None,
) -> DeliveryReport:
    """Claim due rows, deliver each outside any transaction, then record the outcome.

    `lease` must outlast delivering the whole batch (see Settings.outbox_lease_s): until it
    runs out no other worker takes these rows. The claim holds back every row whose code has
    an earlier row still to deliver (ordering.py). Once `stop` is set (SIGTERM) the row in
    hand is finished and recorded, and the rest of the batch is given back unattempted."""
    now = clock()
    with make_uow(write=True) as uow:
        rows = uow.repo(OutboxRepo).claim(now, batch, now + lease)
        uow.commit()
    report = DeliveryReport()
    for done, row in enumerate(rows):
        if stop is not None and stop.is_set():
            _give_back(make_uow, [r.id for r in rows[done:]], clock())
            break
        # the request that queued the row: its id is on the log lines and the platform call
        with request_scope(_request_id_of(row)):
            outcome, after = _deliver_one(row, deliverers)
            with make_uow(write=True) as uow:
                _record(uow.repo(OutboxRepo), row, outcome, clock(), max_attempts, report)
                if outcome is None and after is not None:
                    after(uow)
                uow.commit()
        if isinstance(outcome, DeliveryFailed) and not outcome.wait:
            report.errors.append(str(outcome))
    return report


def _request_id_of(row: OutboxRow) -> str | None:
    value = row.payload.get("request_id")
    return value if isinstance(value, str) and value else None


def _give_back(make_uow: UnitOfWorkFactory, ids: list[int], now: datetime) -> None:
    with make_uow(write=True) as uow:
        given = uow.repo(OutboxRepo).give_back(ids, now)
        uow.commit()
    log.info("outbox.released", rows=given)


def _record(
    repo: OutboxRepo,
    row: OutboxRow,
    outcome: Outcome,
    done: datetime,
    max_attempts: int,
    report: DeliveryReport,
) -> None:
    fields: dict[str, Any] = {"id": row.id, "destination": row.destination}
    if outcome is None:
        repo.mark_delivered(row.id, done)
        report.delivered += 1
        log.info("outbox.delivered", **fields, topic=row.topic, attempts=row.attempts)
    elif isinstance(outcome, NothingToDeliver):
        if repo.skip(row.id, str(outcome), done):
            report.skipped += 1
            log.info("outbox.skipped", **fields, topic=row.topic, reason=str(outcome))
        else:
            report.waiting += 1
    elif outcome.wait:
        repo.release(row.id, str(outcome), done)
        report.waiting += 1
        log.info("outbox.waiting", **fields, topic=row.topic)
    elif outcome.permanent or row.attempts >= max_attempts:
        error = str(outcome) if outcome.permanent else retries_spent(str(outcome))
        repo.mark_dead(row.id, error)
        report.dead += 1
        log.warning("outbox.dead", **fields, error=_loggable(outcome, row), attempts=row.attempts)
    else:
        repo.reschedule(row.id, str(outcome), done + retry_delay(row.attempts))
        report.retried += 1
        log.info(
            "outbox.retry_scheduled",
            **fields,
            error=_loggable(outcome, row),
            attempts=row.attempts,
        )


def _loggable(outcome: DeliveryFailed, row: OutboxRow) -> str:
    """A delivery error for the log, the message's voucher code masked: receivers name the code
    they refused (`voucher_not_found: {'code': ...}`), and a log is no place for a usable code."""
    text = str(outcome)
    code = row.payload.get("code")
    if isinstance(code, str) and code:
        text = text.replace(code, mask_code(code))
    return text


def _deliver_one(
    row: OutboxRow, deliverers: Mapping[str, Deliverer]
) -> tuple[Outcome, AfterDelivery | None]:
    deliverer = deliverers.get(row.destination)
    if deliverer is None:
        return DeliveryFailed(f"no deliverer configured for {row.destination}"), None
    try:
        after = deliverer(row)
    except (DeliveryFailed, NothingToDeliver) as exc:
        return exc, None
    except Exception as exc:  # a bug or an unexpected answer must not stop the worker
        # the traceback goes through the log's redaction (voucher codes masked, secrets hidden)
        log.exception("outbox.deliverer_crashed", id=row.id, destination=row.destination)
        return DeliveryFailed(f"{type(exc).__name__}: {exc}"), None
    return None, after


def previous_in_order(make_uow: UnitOfWorkFactory, row: OutboxRow) -> OutboxRow | None:
    """The row queued just before this one under its order key, as it is now (deliverers
    decide with it what a message behind a dead one does)."""
    with make_uow() as uow:
        return uow.repo(OutboxRepo).previous(row.id)


def died_of_refusal(row: OutboxRow) -> bool:
    """A dead row the receiver refused outright (it did not apply it), not one whose retry
    budget ran out on failures that leave the outcome unknown (an answer may have been lost)."""
    failure = read_failure(row.last_error)
    return row.status == "dead" and not (failure is not None and failure.retries_exhausted)


@dataclass(frozen=True, kw_only=True)
class OutboxRowView:
    """One outbox row as a person sees it (dead rows need one)."""

    id: int
    topic: str
    destination: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str | None
    delivered_at: str | None
    # The message as queued: genuinely free-form JSON (its shape depends on the topic).
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: OutboxRow) -> OutboxRowView:
        return cls(
            id=row.id,
            topic=row.topic,
            destination=row.destination,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=iso(row.next_attempt_at, UTC_ZONE),
            last_error=row.last_error,
            created_at=iso(row.created_at, UTC_ZONE),
            delivered_at=iso(row.delivered_at, UTC_ZONE),
            payload=row.payload,
        )


@dataclass(frozen=True, kw_only=True)
class OutboxListing:
    counts: dict[str, int]  # rows per status; a status with no rows is absent
    rows: list[OutboxRowView]


def list_outbox(
    make_uow: UnitOfWorkFactory, *, actor: Actor, status: str | None, limit: int = 100
) -> OutboxListing:
    """Rows of the merchant's outbox, newest first, with counts per status."""
    actor.require_hq()
    with make_uow() as uow:
        rows = uow.repo(OutboxRepo).list(actor.merchant_id, status, min(max(limit, 1), 500))
        return OutboxListing(
            counts=uow.repo(OutboxRepo).counts(actor.merchant_id),
            rows=[OutboxRowView.of(r) for r in rows],
        )


def retry_dead(
    make_uow: UnitOfWorkFactory, *, actor: Actor, outbox_id: int, now: datetime
) -> OutboxRowView:
    """Put a dead row back in the queue with a fresh budget (the seed's 重试 button); the rows
    of its code skipped because it was dead go back too, behind it."""
    actor.require_hq()
    with make_uow(write=True) as uow:
        if not uow.repo(OutboxRepo).retry(actor.merchant_id, outbox_id, now):
            row = uow.repo(OutboxRepo).get(actor.merchant_id, outbox_id)
            if row is None:
                raise DomainError(ErrorCode.NOT_FOUND, what="outbox")
            raise DomainError(ErrorCode.OUTBOX_NOT_DEAD, status=row.status)
        after: dict[str, Any] = {"status": "pending"}
        if requeued := uow.repo(OutboxRepo).requeue_skipped_after(outbox_id, now):
            after["requeued"] = requeued
        uow.repo(AuditRepo).add(
            actor.merchant_id,
            actor_type="user",
            actor_id=str(actor.user_id),
            action="outbox.retry",
            subject=f"outbox:{outbox_id}",
            before={"status": "dead"},
            after=after,
            now=now,
        )
        row = uow.repo(OutboxRepo).get(actor.merchant_id, outbox_id)
        assert row is not None
        uow.commit()
        return OutboxRowView.of(row)
