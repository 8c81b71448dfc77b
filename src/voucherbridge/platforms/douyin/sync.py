"""Merchant-code use sync to Douyin (三方码 核销同步), for the outbox worker.

Our redemption id is the ``verify_token``: Douyin treats a repeated token as the same verify,
so a retry after a lost answer never counts a second use. A reversal replays that verify to
learn its ``certificate_id``/``verify_id`` and cancels it (1-hour window on Douyin's side).
"""

from __future__ import annotations

from voucherbridge.platforms.douyin.client import DouyinClient
from voucherbridge.platforms.ports import Credentials, SyncMessage


class DouyinSync:
    def __init__(self, client: DouyinClient) -> None:
        self.client = client

    def redeemed(self, credentials: Credentials, message: SyncMessage) -> None:
        self.client.sync_use(
            credentials,
            douyin_order_id=message.platform_order_id,
            codes=[message.code],
            verify_token=message.redemption_id,
        )

    def reversed(self, credentials: Credentials, message: SyncMessage) -> None:
        self.client.sync_cancel(
            credentials,
            douyin_order_id=message.platform_order_id,
            codes=[message.code],
            verify_token=message.redemption_id,
        )
