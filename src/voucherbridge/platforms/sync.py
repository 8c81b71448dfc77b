"""Telling a platform of each use of its merchant codes (flow 9): the outbox deliverer.

The worker hands each `platform:<name>` row here. We find the store's binding and the
platform order the code was issued for, then call the platform with our redemption id as its
idempotency key, so a retry after an ambiguous answer never counts a second use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from voucherbridge.catalogue.repository import CodeRepo
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import OutboxRow
from voucherbridge.outbox.service import Deliverer, DeliveryFailed
from voucherbridge.platforms.ports import Credentials, MerchantCodeSync, SyncMessage
from voucherbridge.platforms.repository import BindingRepo

# Worth retrying: the platform may answer differently later (it was down, or not bound yet).
TRANSIENT = frozenset({ErrorCode.PLATFORM_UNAVAILABLE, ErrorCode.BINDING_MISSING})


def sync_deliverer(
    make_uow: UnitOfWorkFactory,
    platform: str,
    make_sync: Callable[[], MerchantCodeSync],
    open_secret: Callable[[str], str],
) -> Deliverer:
    """A deliverer for `platform:<platform>` outbox rows (the client is built on first use)."""
    built: list[MerchantCodeSync] = []

    def deliver(row: OutboxRow) -> None:
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
            raise DeliveryFailed(
                f"{exc.code.value}: {exc.params}", permanent=exc.code not in TRANSIENT
            ) from exc

    return deliver


def _resolve(
    make_uow: UnitOfWorkFactory,
    platform: str,
    open_secret: Callable[[str], str],
    row: OutboxRow,
) -> tuple[Credentials, SyncMessage]:
    payload = row.payload
    with make_uow() as uow:
        binding = uow.repo(BindingRepo).get(row.merchant_id, int(payload["store_id"]), platform)
        if binding is None or binding.status != "bound":
            raise DeliveryFailed(f"binding_missing: store {payload['store_id']} on {platform}")
        code = uow.repo(CodeRepo).find(row.merchant_id, str(payload["code"]))
        if code is None:
            raise DeliveryFailed(f"code {payload['code']} not found", permanent=True)
        platform_order_id = uow.repo(CodeRepo).platform_order_id(code.code_order_id) or ""
    credentials = Credentials(
        platform, binding.platform_store_id, open_secret(binding.secret_sealed)
    )
    message = SyncMessage(
        event=row.topic.removeprefix("code."),
        code=code.code,
        redemption_id=str(payload["redemption_id"]),
        platform_order_id=platform_order_id,
        discount_fen=int(payload["discount_fen"]),
        at=datetime.fromisoformat(str(payload["at"])),
        reason=str(payload.get("reason") or ""),
    )
    return credentials, message
