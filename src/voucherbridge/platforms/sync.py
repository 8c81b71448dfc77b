"""Telling a platform of each use of its merchant codes (flow 9): the outbox deliverer.

The worker hands each `platform:<name>` row here. We find the store's binding and the
platform order the code was issued for, then call the platform with our redemption id as its
idempotency key, so a retry after an ambiguous answer never counts a second use.

Uses and reversals of one code arrive in order (outbox/ordering.py). A reversal behind a use
that went dead: when the platform refused the use outright it never counted it, so there is
nothing to undo and the reversal is skipped without a call; when the use ran out of retries its
outcome is unknown (an answer may have been lost), so the reversal is sent, and "not found"
then means the use never arrived: skipped too, never dead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import OutboxRow
from voucherbridge.outbox.failures import coded
from voucherbridge.outbox.ordering import ACTIVE
from voucherbridge.outbox.service import (
    Deliverer,
    DeliveryFailed,
    NothingToDeliver,
    died_of_refusal,
    previous_in_order,
)
from voucherbridge.platforms.ports import (
    Credentials,
    MerchantCodeSync,
    SyncMessage,
    credentials_of,
)
from voucherbridge.platforms.repository import BindingRepo

# Worth retrying: the platform may answer differently later (it was down, or not bound yet).
TRANSIENT = frozenset({ErrorCode.PLATFORM_UNAVAILABLE, ErrorCode.BINDING_MISSING})
# What the console shows for a reversal that needed no platform call (status `skipped`).
USE_REFUSED = "无需同步: 平台拒绝了这次核销的同步(投递失败), 平台上该券码未被核销, 没有可撤销的核销"
USE_UNKNOWN = "无需同步: 平台没有这次核销的记录(核销同步投递失败), 没有可撤销的核销"


def sync_deliverer(
    make_uow: UnitOfWorkFactory,
    platform: str,
    make_sync: Callable[[], MerchantCodeSync],
    open_secret: Callable[[str], str],
) -> Deliverer:
    """A deliverer for `platform:<platform>` outbox rows (the client is built on first use)."""
    built: list[MerchantCodeSync] = []

    def deliver(row: OutboxRow) -> None:
        use = _use_undone_by(make_uow, row)
        if use is not None and use.status in ACTIVE:
            # The claim holds a reversal back while its use is queued; this is a person's
            # retry of the dead use that came in after the reversal was claimed.
            raise DeliveryFailed("waiting for the use of this code", wait=True)
        if use is not None and died_of_refusal(use):
            raise NothingToDeliver(USE_REFUSED)
        credentials, message = _resolve(make_uow, platform, open_secret, row)
        if not built:
            built.append(make_sync())
        sync = built[0]
        try:
            if message.event == "redeemed":
                sync.redeemed(credentials, message)
            else:
                sync.reversed(credentials, message)
        except DomainError as exc:
            if exc.code is ErrorCode.VOUCHER_NOT_FOUND and use is not None and use.status == "dead":
                raise NothingToDeliver(USE_UNKNOWN) from exc
            raise DeliveryFailed(
                coded(exc.code, exc.params), permanent=exc.code not in TRANSIENT
            ) from exc

    return deliver


def _use_undone_by(make_uow: UnitOfWorkFactory, row: OutboxRow) -> OutboxRow | None:
    """For a reversal, the outbox row of the use it undoes (the row just before it in its
    code's order); None for a use, or when that row is not there."""
    if row.topic != "code.reversed":
        return None
    use = previous_in_order(make_uow, row)
    if use is None or use.topic != "code.redeemed":
        return None
    return use if use.payload.get("redemption_id") == row.payload.get("redemption_id") else None


def _resolve(
    make_uow: UnitOfWorkFactory,
    platform: str,
    open_secret: Callable[[str], str],
    row: OutboxRow,
) -> tuple[Credentials, SyncMessage]:
    payload = row.payload
    store_id = int(payload["store_id"])
    with make_uow() as uow:
        target = uow.repo(BindingRepo).sync_target(
            row.merchant_id, store_id, platform, str(payload["code"])
        )
    if target is None or target.binding.status != "bound":
        raise DeliveryFailed(
            coded(ErrorCode.BINDING_MISSING, {"platform": platform, "store_id": store_id})
        )
    if target.code is None:
        raise DeliveryFailed(
            coded(ErrorCode.VOUCHER_NOT_FOUND, {"code": str(payload["code"])}), permanent=True
        )
    credentials = credentials_of(target.binding, open_secret)
    message = SyncMessage(
        event=row.topic.removeprefix("code."),
        code=target.code,
        redemption_id=str(payload["redemption_id"]),
        platform_order_id=target.platform_order_id,
        discount_fen=int(payload["discount_fen"]),
        at=datetime.fromisoformat(str(payload["at"])),
        reason=str(payload.get("reason") or ""),
    )
    return credentials, message
