"""Which client serves each platform's statement of a day (对账单), built on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voucherbridge.domain.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from voucherbridge.platforms.ports import StatementSource
    from voucherbridge.platforms.registry import Platforms

PLATFORMS = ("douyin", "meituan", "weimall")


def statement_source(platforms: Platforms, platform: str) -> StatementSource:
    """The statement reader of `platform`, on the process's client (pool, tokens)."""
    if platform == "douyin":
        from voucherbridge.platforms.douyin.ledger import DouyinLedger

        return DouyinLedger(platforms.douyin)
    if platform == "meituan":
        from voucherbridge.platforms.meituan.history import MeituanHistory

        return MeituanHistory(platforms.meituan)
    if platform == "weimall":
        from voucherbridge.platforms.weimall.settlements import WeimallSettlements

        return WeimallSettlements(platforms.weimall)
    raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform")
