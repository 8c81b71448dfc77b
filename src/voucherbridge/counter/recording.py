"""Writing a redemption down: its row, history event, audit row, outbox rows and idempotency row,
all in the caller's transaction; the hash that ties an idempotency key to its request, and the
answers of a key already used (a replay, or `idempotency_conflict`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.counter.evaluation import Evaluation
from voucherbridge.counter.repository import IdempotencyRepo, RedemptionRepo
from voucherbridge.counter.views import RedemptionView, ScanView, stored_answer
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import (
    CodeEvent,
    IdempotencyRecord,
    Order,
    OutboxMessage,
    Redemption,
    Terminal,
)
from voucherbridge.notifications.events import notify_redemption
from voucherbridge.outbox.repository import OutboxRepo


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    """What a redeem answers: the redemption, or a ScanView when one scan used several."""

    body: RedemptionView | ScanView
    replayed: bool

    @classmethod
    def replay_of(cls, stored: IdempotencyRecord) -> RedeemOutcome:
        """The first answer again, from its idempotency row, field for field."""
        return cls(stored_answer(stored.response), replayed=True)


def request_hash_of(code: str, order_id: int, count: int = 1) -> str:
    # The request as canonical JSON, hashed; `count` only when it is not the default.
    body: dict[str, Any] = {"code": code, "order_id": order_id}
    if count != 1:
        body["count"] = count
    canonical = json.dumps(body, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_redemption(
    uow: UnitOfWork,
    terminal: Terminal,
    order: Order,
    evaluation: Evaluation,
    now: datetime,
    reversal_windows: Mapping[str, int],
    *,
    public_id: str | None = None,
    platform_ref: dict[str, str] | None = None,
    buyer: bool = True,
) -> Redemption:
    """The redemption row, its history event and its outbox rows, in the caller's transaction.
    `buyer=False`: the scan found no buyer's openid on the code, so no buyer is looked up."""
    code, template = evaluation.code, evaluation.template.template
    window = evaluation.listing.reversal_window_minutes
    if window is None:
        window = reversal_windows.get(code.platform.value, 60)
    # The new row's columns, as RedemptionRepo.add takes them.
    values: dict[str, Any] = {
        "merchant_id": terminal.merchant_id,
        "public_id": public_id or new_redemption_id(),
        "store_id": terminal.store_id,
        "terminal_id": terminal.id,
        "order_id": order.id,
        "code_id": code.id,
        "code": code.code,
        "platform": code.platform.value,
        "template_id": template.id,
        "kind": template.kind.value,
        "name": template.name,
        "stackable": template.stackable,
        "discount_fen": evaluation.discount.discount_fen,
        "allocations": {str(k): v for k, v in evaluation.discount.allocations.items()},
        "status": "active",
        "redeemed_at": now,
        "reversible_until": now + timedelta(minutes=window),
        "platform_ref": platform_ref,
    }
    redemption_id = uow.repo(RedemptionRepo).add(values)
    # The row as inserted (no read back): the same fields the database now holds.
    redemption = Redemption(
        id=redemption_id,
        **{k: v for k, v in values.items() if k not in ("platform", "allocations")},
        platform=code.platform,
        allocations=dict(evaluation.discount.allocations),
        reversed_at=None,
        reverse_reason=None,
    )
    uow.repo(CodeRepo).add_event(
        terminal.merchant_id,
        code.id,
        CodeEvent(
            "redeemed",
            now,
            terminal.store_id,
            order.id,
            redemption_id,
            f"terminal:{terminal.id}",
            {"discount_fen": redemption.discount_fen},
        ),
    )
    enqueue_side_effects(uow, redemption, "redeemed", now, buyer=buyer)
    uow.repo(AuditRepo).add(
        terminal.merchant_id,
        actor_type="terminal",
        actor_id=str(terminal.id),
        action="redemption.redeem",
        subject=redemption.public_id,
        before={"status": "issued"},
        after={
            "status": "redeemed",
            "code_id": code.id,
            "code": mask_code(code.code),
            "order_id": order.id,
            "discount_fen": redemption.discount_fen,
        },
        now=now,
        store_id=terminal.store_id,
    )
    return redemption


def new_redemption_id() -> str:
    return f"rdm_{uuid.uuid4().hex}"


def enqueue_side_effects(
    uow: UnitOfWork, redemption: Redemption, event: str, now: datetime, *, buyer: bool = True
) -> None:
    """Outbox rows in the business transaction: the platform hears of every use once (and
    the buyer, when the merchant has a template for it: notifications/events.py; `buyer=False`
    when the caller already knows the code has none)."""
    if buyer:
        notify_redemption(uow, redemption, event, now)
    if redemption.platform.value == "direct" or redemption.platform_ref is not None:
        return  # our own codes tell nobody; a platform code's platform made the change itself
    uow.repo(OutboxRepo).add(
        OutboxMessage(
            merchant_id=redemption.merchant_id,
            topic=f"code.{event}",
            destination=f"platform:{redemption.platform.value}",
            dedupe_key=f"{redemption.public_id}:{event}",
            payload={
                "redemption_id": redemption.public_id,
                "code": redemption.code,
                "store_id": redemption.store_id,
                "order_id": redemption.order_id,
                "discount_fen": redemption.discount_fen,
                "at": now.isoformat(),
            },
        ),
        now,
    )


def remember(
    uow: UnitOfWork,
    terminal: Terminal,
    key: str | None,
    request_hash: str,
    redemption_id: int,
    body: RedemptionView | ScanView,
    now: datetime,
) -> bool:
    """Keep the answer under the request's idempotency key, as the JSON it was answered with.

    False when a concurrent request of the same key stored its answer first: the caller rolls
    back and answers with that one, read in a fresh transaction (`answer_for_taken_key`).
    """
    if not key:
        return True
    response = dataclasses.asdict(body)
    return uow.repo(IdempotencyRepo).add(
        IdempotencyRecord(terminal.id, key, request_hash, redemption_id, response), now
    )


def answer_of_key(
    uow: UnitOfWork, terminal: Terminal, key: str | None, request_hash: str
) -> RedeemOutcome | None:
    """The stored answer of the key (same request: the replay), `idempotency_conflict` when the
    key was used for another request, None when the key is new."""
    if not key:
        return None
    return answer_of_stored(uow.repo(IdempotencyRepo).get(terminal.id, key), request_hash)


def answer_of_stored(stored: IdempotencyRecord | None, request_hash: str) -> RedeemOutcome | None:
    """A key's row already read: the replay of the same request, or `idempotency_conflict`."""
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
    return RedeemOutcome.replay_of(stored)


def answer_for_taken_key(
    uow: UnitOfWork, terminal: Terminal, key: str | None, request_hash: str
) -> RedeemOutcome:
    """The loser of a same-key race, after its rollback: the winner's answer, read in a fresh
    transaction (READ COMMITTED sees the committed row), or `idempotency_conflict`."""
    found = answer_of_key(uow, terminal, key, request_hash)
    if found is None:  # pragma: no cover - the insert that lost saw a committed row
        raise DomainError(ErrorCode.IDEMPOTENCY_IN_PROGRESS)
    return found


# ---- one request per key at a time ------------------------------------------------------------
# How long a request waits for another one of its key to finish before `idempotency_in_progress`.
KEY_WAIT_S = 30.0


class _LocalClaims:
    """Per-(terminal, key) locks of this process, dropped when nobody holds or waits."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[int, str], tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, terminal_id: int, key: str, wait_s: float) -> Iterator[bool]:
        ident = (terminal_id, key)
        with self._guard:
            lock, users = self._locks.get(ident, (threading.Lock(), 0))
            self._locks[ident] = (lock, users + 1)
        got = False
        try:
            got = lock.acquire(timeout=wait_s)
            yield got
        finally:
            if got:
                lock.release()
            with self._guard:
                lock, users = self._locks[ident]
                if users == 1:
                    del self._locks[ident]
                else:
                    self._locks[ident] = (lock, users - 1)


_LOCAL_CLAIMS = _LocalClaims()


@contextmanager
def key_claimed(
    make_uow: UnitOfWorkFactory,
    terminal: Terminal,
    key: str | None,
    wait_s: float | None = None,
) -> Iterator[None]:
    """Run the block as the only request of this idempotency key, so that a retry sent while
    the first is still talking to a platform waits for it and then replays its answer.

    Needed where the key's row can only be written after a platform call (platform codes): the
    platform would refuse the second verify of the code before our row existed. Requests of one
    key queue on a lock of this process first (holding no connection while they wait), then on
    the database's lock on the key (PostgreSQL: across processes). Requests without a key pass.
    """
    if not key:
        yield
        return
    wait_s = KEY_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    with _LOCAL_CLAIMS.hold(terminal.id, key, wait_s) as got:
        if not got:
            raise DomainError(ErrorCode.IDEMPOTENCY_IN_PROGRESS)
        with make_uow() as uow:
            left = max(0.001, deadline - time.monotonic())
            if not uow.repo(IdempotencyRepo).hold(terminal.id, key, left):
                raise DomainError(ErrorCode.IDEMPOTENCY_IN_PROGRESS)
            yield
