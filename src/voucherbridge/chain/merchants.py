"""Merchants (商户): a new chain with its first HQ admin, as the server's operator creates it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.repository import MerchantRepo
from voucherbridge.chain.sign_in import hash_password
from voucherbridge.chain.users import MerchantView, UserView, add_user, checked_new_user
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode


@dataclass(frozen=True, kw_only=True)
class NewMerchant(MerchantView):
    """A merchant just created, with its first HQ admin."""

    user: UserView


def create_merchant(
    uow: UnitOfWork,
    *,
    name: str,
    timezone: str,
    username: str,
    password: str,
    display_name: str = "",
    now: datetime,
) -> NewMerchant:
    """A merchant and its first HQ admin in one transaction (both audited), or nothing."""
    shown = name.strip()
    if not 1 <= len(shown) <= 100 or not shown.isprintable():
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="timezone") from exc
    login, display = checked_new_user(username, password, display_name)
    password_hash = hash_password(password)  # slow on purpose: never inside the transaction
    with uow:
        merchant_id = uow.repo(MerchantRepo).add(name=shown, timezone=timezone, now=now)
        operator = Actor.operator(merchant_id)
        merchant = MerchantView(id=merchant_id, name=shown, timezone=timezone)
        record_admin_change(
            uow, operator, "merchant.create", merchant_id, None, asdict(merchant), now
        )
        user = add_user(
            uow,
            actor=operator,
            username=login,
            display_name=display,
            password_hash=password_hash,
            role="hq_admin",
            store_ids=[],
            now=now,
        )
        uow.commit()
    return NewMerchant(**asdict(merchant), user=user)


def merchant_zone(uow: UnitOfWork, merchant_id: int) -> ZoneInfo:
    """The zone the merchant's stores keep time in (receipts, windows, reports)."""
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    return ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")
