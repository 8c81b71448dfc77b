"""What the use cases need from a platform, whatever its wire protocol.

Adapters under ``adapters/platforms/<name>/`` implement these; every failure they report is a
`DomainError` of the catalogue (PROTOCOLS.md §5): ``voucher_not_found``,
``voucher_already_redeemed``, ``voucher_expired``, ``voucher_not_yet_valid``,
``voucher_store_not_applicable``, ``voucher_voided``, ``reversal_window_closed``,
``binding_rejected`` (credentials refused), ``binding_unauthorized`` (the merchant has not
authorized our app), ``platform_unavailable`` (transport failure, 5xx, busy or rate limit:
nothing is known to have changed on the platform), ``platform_request_invalid`` (the platform
refuses the parameters; retrying cannot help) or ``platform_refused`` (any other refusal, in the
platform's own words).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Credentials:
    """One store's binding, secret already unsealed; never logged."""

    platform: str
    platform_store_id: str
    secret: str


@dataclass(frozen=True)
class PlatformCertificate:
    """One usable platform code as the platform describes it at prepare."""

    code: str  # the plain code (Douyin may only reveal it at verify for short links: "")
    handle: str  # what verify needs: Douyin encrypted_code, Meituan receipt_code
    title: str
    product_id: str  # the platform's product: Douyin sku_id, Meituan deal_id
    listing_id: str | None  # our listing public id when the platform carries it (third_sku_id)
    value_fen: int  # the voucher's face value (original amount)
    paid_fen: int  # what the consumer paid online
    expires_at: datetime | None


@dataclass(frozen=True)
class PreparedCodes:
    """A platform's answer to prepare: the usable codes one scan unlocks. Changes nothing."""

    platform: str
    platform_order_id: str
    certificates: tuple[PlatformCertificate, ...]
    session: str = ""  # Douyin verify_token; empty where the platform has none


@dataclass(frozen=True)
class VerifiedCode:
    """One code the platform marked used for us; what a later cancel needs."""

    code: str
    certificate_id: str
    verify_id: str
    extra: dict[str, str] = field(default_factory=dict)  # e.g. Meituan deal_id for reverse


class PlatformCodeClient(Protocol):
    """Platform codes (抖音券, 团购券): the platform issues them, we verify them with it."""

    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes: ...

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        """Use ``count`` of the prepared codes; ``request_id`` is our idempotency key."""
        ...

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        """Undo one verify. The platform's answer decides: a refusal (its window, or anything
        else) is raised, never taken for a cancel."""
        ...


class BindingCheck(Protocol):
    """The signed test call of a platform; returns the platform store's name."""

    def test_binding(self, platform_store_id: str, secret: str) -> str: ...


@dataclass(frozen=True)
class SyncMessage:
    """One use (or its reversal) of a merchant code, as the platform must hear of it."""

    event: str  # "redeemed" | "reversed"
    code: str
    redemption_id: str  # our id: the platform's idempotency key
    platform_order_id: str  # the platform order the code was issued for
    discount_fen: int
    at: datetime
    reason: str = ""


class MerchantCodeSync(Protocol):
    """Merchant codes (三方码, 微商城券): we issue them and tell the platform of every use."""

    def redeemed(self, credentials: Credentials, message: SyncMessage) -> None: ...

    def reversed(self, credentials: Credentials, message: SyncMessage) -> None: ...


@dataclass(frozen=True)
class PlatformGateway:
    """The platform clients this deployment has, and how to open a binding's secret."""

    clients: Mapping[str, PlatformCodeClient]
    open_secret: Callable[[str], str]
