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
from datetime import date, datetime
from typing import Protocol

from voucherbridge.domain.records import Binding


@dataclass(frozen=True)
class Credentials:
    """One store's binding, secret already unsealed; never logged. Douyin bindings carry no
    secret (one app, authorized by the merchant) but the authorizing account."""

    platform: str
    platform_store_id: str
    secret: str
    account_id: str = ""


# Douyin is one app that merchants authorize: its bindings carry no secret of their own (those
# written before revision 0013 did; they are no longer read).
APP_AUTHORIZED = frozenset({"douyin"})


def credentials_of(binding: Binding, open_secret: Callable[[str], str]) -> Credentials:
    """What a call on the binding's behalf needs, its secret unsealed."""
    own_secret = binding.platform not in APP_AUTHORIZED and bool(binding.secret_sealed)
    return Credentials(
        binding.platform,
        binding.platform_store_id,
        open_secret(binding.secret_sealed) if own_secret else "",
        binding.account_id,
    )


@dataclass(frozen=True)
class SharedToken:
    """An app's access token as every process sees it; ``handle`` names the stored copy."""

    value: str
    renew_at: datetime
    handle: str


class SharedTokens(Protocol):
    """Where a platform app's token is kept for all processes (the database)."""

    def load(self, platform: str, app_key: str) -> SharedToken | None: ...

    def save(self, platform: str, app_key: str, value: str, renew_at: datetime) -> SharedToken: ...

    def forget(self, platform: str, app_key: str, token: SharedToken) -> None: ...


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


@dataclass(frozen=True)
class StatementLine:
    """One line of a platform's statement of a day (对账单): a code it counts as used, or one
    it shows as undone."""

    code: str
    amount_fen: int  # what the platform settles for it (Douyin pay, Dianping deal_price, ...)
    status: str  # "redeemed" | "reversed"
    at: datetime | None  # when the platform says it was used
    platform_store_id: str
    reference: str  # the platform's id of the line (ledger id, requestid, redemption id)


class StatementSource(Protocol):
    """A platform's statement of one store and one day (its own day: China days)."""

    def statement(self, credentials: Credentials, day: date) -> list[StatementLine]: ...
