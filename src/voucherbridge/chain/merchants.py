"""Merchants (商户): a new chain with its first HQ admin, as the server's operator creates it,
and the operator's switch that deactivates (or reactivates) a whole chain.

A deactivated merchant's tills, cashier pages and console sessions are refused at their next
request (the key and token lookups check the merchant in the same query), and its users cannot
sign in; nothing is revoked, so reactivating brings the chain back as it was.
"""

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
    login, display = checked_new_user(username, password, display_name, merchant_name=shown)
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


@dataclass(frozen=True, kw_only=True)
class MerchantStatus(MerchantView):
    """A merchant and whether it is active (serving its tills and console)."""

    active: bool


def set_merchant_active(
    uow: UnitOfWork, *, merchant_id: int, active: bool, now: datetime
) -> MerchantStatus:
    """Deactivate (`active=False`) or reactivate a merchant, audited; setting it twice changes
    nothing. The operator's act (command line): no console user may switch a whole chain."""
    if not isinstance(active, bool):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
    with uow:
        merchant = uow.repo(MerchantRepo).get(merchant_id)
        if merchant is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="merchant")
        if merchant.active != active:
            uow.repo(MerchantRepo).set_active(merchant_id, active)
            record_admin_change(
                uow,
                Actor.operator(merchant_id),
                "merchant.update",
                merchant_id,
                {"active": merchant.active},
                {"active": active},
                now,
            )
            uow.commit()
        return MerchantStatus(
            id=merchant.id, name=merchant.name, timezone=merchant.timezone, active=active
        )


def deactivate_merchant(uow: UnitOfWork, *, merchant_id: int, now: datetime) -> MerchantStatus:
    """Stop a whole chain: its tills, cashier pages and console sessions are refused from the
    next request on."""
    return set_merchant_active(uow, merchant_id=merchant_id, active=False, now=now)


def merchant_zone(uow: UnitOfWork, merchant_id: int) -> ZoneInfo:
    """The zone the merchant's stores keep time in (receipts, windows, reports)."""
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    return ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")
