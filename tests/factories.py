"""Typed, keyword-only factories for test data that the demo seed does not cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from voucherbridge.bootstrap import Container
from voucherbridge.catalogue.issuing import issue_codes
from voucherbridge.catalogue.listings import ListingSpec, create_listing
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.catalogue.templates import TemplateSpec, create_template
from voucherbridge.chain.auth import actor_of, hash_secret, new_terminal_key
from voucherbridge.chain.repository import MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.records import Listing
from voucherbridge.platforms.repository import BindingRepo


class FakeClock:
    """A clock the test moves by hand: windows and expiry are tested without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class OtherMerchant:
    merchant_id: int
    store_id: int
    terminal_key: str


def make_merchant(container: Container, *, name: str = "别家烧烤") -> OtherMerchant:
    """A second tenant with one store and one terminal."""
    now = container.clock()
    key = new_terminal_key()
    with container.uow(write=True) as uow:
        merchant_id = uow.repo(MerchantRepo).add(name=name, timezone="Asia/Shanghai", now=now)
        store_id = uow.repo(StoreRepo).add(
            merchant_id, name="一号店", brand=name, address="", now=now
        )
        uow.repo(TerminalRepo).add(
            merchant_id,
            store_id=store_id,
            name="收银1",
            key_prefix=key[:8],
            key_hash=hash_secret(key),
            now=now,
        )
        uow.commit()
    return OtherMerchant(merchant_id, store_id, key)


def make_codes(
    container: Container,
    *,
    template: dict[str, Any],
    platform: str = "weimall",
    quantity: int = 1,
    username: str = "admin",
    bind: bool = True,
) -> list[str]:
    """Create a template and a merchant-code listing for it, and issue `quantity` codes."""
    with container.uow() as uow:
        user = uow.repo(UserRepo).by_username(username)
    assert user is not None
    actor = actor_of(user)
    now = container.clock()
    spec = {"validity_mode": "relative", "valid_days": 30, **template}
    created = create_template(
        container.uow(write=True), actor=actor, spec=TemplateSpec(**spec), now=now
    )
    listing_view = create_listing(
        container.uow(write=True),
        actor=actor,
        now=now,
        spec=ListingSpec(
            template_id=created.id,
            platform=platform,
            code_type="merchant",
            title=f"{template['name']} listing",
        ),
    )
    with container.uow(write=True) as uow:
        listing: Listing | None = uow.repo(ListingRepo).get(actor.merchant_id, listing_view.id)
        assert listing is not None
        issued = issue_codes(
            uow,
            merchant_id=actor.merchant_id,
            listing=listing,
            platform_order_id=f"test-{listing.id}",
            quantity=quantity,
            buyer_openid=None,
            now=now,
            actor="test",
        )
        if bind and platform != "direct":
            bind_all_stores(uow, actor.merchant_id, platform, container.secrets.seal("s"), now)
        uow.commit()
    return issued.codes


def bind_all_stores(
    uow: UnitOfWork, merchant_id: int, platform: str, secret_sealed: str, now: datetime
) -> None:
    """Bound bindings without a platform round trip, for tests about something else."""
    for store in uow.repo(StoreRepo).list(merchant_id):
        if not uow.repo(BindingRepo).is_bound(store.id, platform):
            uow.repo(BindingRepo).save(
                merchant_id,
                store_id=store.id,
                platform=platform,
                platform_store_id=f"test-{platform}-{store.id}",
                secret_sealed=secret_sealed,
                status="bound",
                last_error=None,
                now=now,
            )


def redeem_demo_cash(container: Container, demo: dict[str, Any], n: int = 0) -> str:
    """Redeem the demo's n-th 100元代金券 on a new soup-base bill at 皇岗店's till, through the
    use cases (no HTTP); the redemption's public id."""
    from voucherbridge.chain.auth import resolve_terminal
    from voucherbridge.counter import merchant_codes, orders
    from voucherbridge.domain.codes import classify_code
    from voucherbridge.domain.orders import OrderLine

    terminal = resolve_terminal(container.uow(), demo["terminal_key"])
    order = orders.create_order(
        container.uow(write=True),
        terminal=terminal,
        table="A1",
        guests=1,
        lines=[OrderLine(1, "SOUP01", "凉瓜黄豆汤底", 1, 19900)],
        service_fee_fen=0,
        now=container.clock(),
    )
    outcome = merchant_codes.redeem_code(
        container.uow(write=True),
        terminal=terminal,
        scanned=classify_code(demo["codes"]["cash"][n]),
        order_id=order.id,
        idempotency_key=None,
        now=container.clock(),
        reversal_windows=container.settings.reversal_windows(),
    )
    return outcome.body.id
