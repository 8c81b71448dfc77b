"""Writing a redemption down: its row, history event, audit row, outbox rows and idempotency row,
all in the caller's transaction; and the hash that ties an idempotency key to its request."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.repository import CodeRepo
from voucherbridge.counter.evaluation import Evaluation
from voucherbridge.counter.repository import IdempotencyRepo, RedemptionRepo
from voucherbridge.counter.views import RedemptionView, ScanView, stored_answer
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import mask_code
from voucherbridge.domain.records import (
    CodeEvent,
    IdempotencyRecord,
    Order,
    OutboxMessage,
    Redemption,
    Terminal,
)
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
) -> Redemption:
    """The redemption row, its history event and its outbox rows, in the caller's transaction."""
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
    redemption = uow.repo(RedemptionRepo).by_id(redemption_id)
    assert redemption is not None
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
    enqueue_side_effects(uow, redemption, "redeemed", now)
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
    uow: UnitOfWork, redemption: Redemption, event: str, now: datetime
) -> None:
    """Outbox rows in the business transaction: the platform hears of every use once."""
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
) -> None:
    """Keep the answer under the request's idempotency key, as the JSON it was answered with."""
    if key:
        response = dataclasses.asdict(body)
        uow.repo(IdempotencyRepo).add(
            IdempotencyRecord(terminal.id, key, request_hash, redemption_id, response), now
        )
