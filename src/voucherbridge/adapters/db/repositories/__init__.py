"""SQL repositories behind the unit-of-work ports. Every query is scoped by merchant."""

from voucherbridge.adapters.db.repositories.audit import AuditRepo
from voucherbridge.adapters.db.repositories.chain import (
    ItemRepo,
    MerchantRepo,
    StoreRepo,
    TerminalRepo,
    UserRepo,
)
from voucherbridge.adapters.db.repositories.orders import IdempotencyRepo, OrderRepo, RedemptionRepo
from voucherbridge.adapters.db.repositories.outbox import OutboxRepo
from voucherbridge.adapters.db.repositories.platform import BindingRepo
from voucherbridge.adapters.db.repositories.vouchers import CodeRepo, ListingRepo, TemplateRepo

__all__ = [
    "OutboxRepo",
    "MerchantRepo",
    "StoreRepo",
    "ItemRepo",
    "TerminalRepo",
    "UserRepo",
    "TemplateRepo",
    "ListingRepo",
    "CodeRepo",
    "OrderRepo",
    "RedemptionRepo",
    "IdempotencyRepo",
    "BindingRepo",
    "AuditRepo",
]
