"""SQL repositories behind the unit-of-work ports. Every query is scoped by merchant."""

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.repository import CodeRepo, ListingRepo, TemplateRepo
from voucherbridge.chain.repository import ItemRepo, MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.counter.repository import IdempotencyRepo, OrderRepo, RedemptionRepo
from voucherbridge.outbox.repository import OutboxRepo
from voucherbridge.platforms.repository import BindingRepo

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
