"""Merchant-code use sync to the micro-mall, for the outbox worker (idempotent on our
redemption id at the mall)."""

from __future__ import annotations

from voucherbridge.platforms.ports import Credentials, SyncMessage
from voucherbridge.platforms.weimall.client import WeimallClient


class WeimallSync:
    def __init__(self, client: WeimallClient) -> None:
        self.client = client

    def redeemed(self, credentials: Credentials, message: SyncMessage) -> None:
        self.client.redeemed(
            credentials,
            code=message.code,
            redemption_id=message.redemption_id,
            store_id=credentials.platform_store_id,
            order_no=message.platform_order_id,
            discount_fen=message.discount_fen,
            redeemed_at=message.at.isoformat(),
        )

    def reversed(self, credentials: Credentials, message: SyncMessage) -> None:
        self.client.reversed(
            credentials,
            code=message.code,
            redemption_id=message.redemption_id,
            reversed_at=message.at.isoformat(),
            reason=message.reason or "反结账退券",
        )
