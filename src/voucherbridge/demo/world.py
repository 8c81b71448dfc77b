"""The demo's whole world: our side seeded (`demo.seed`), then its vouchers bought by demo
consumers on the platform simulators (`demo.shopping`), each printed with a bill it fits.

With no simulator answering (a real platform, or none started), only our side is seeded and
the notes say what was left out and why; nothing is ever inserted behind a platform's back, so
every code printed is one its platform knows and every redemption of it syncs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.demo import catalogue as demo
from voucherbridge.demo.notifications import set_up_notifications
from voucherbridge.demo.samples import sample_order
from voucherbridge.demo.seed import seed_demo
from voucherbridge.demo.shopping import Purchase, Shopper, SimulatorMissing, reachable

PLATFORM_NAMES = {"weimall": "微商城", "douyin": "抖音", "meituan": "美团"}


@dataclass
class Bought:
    """What the demo consumers hold: codes per voucher kind, platform codes, sample bills."""

    codes: dict[str, list[str]] = field(default_factory=dict)
    platform_codes: dict[str, list[str]] = field(default_factory=dict)
    sample_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)  # platform codes: codes on its order

    def merchant_codes(self, kind: str, purchase: Purchase) -> None:
        """Our codes sold on a platform: each fits a bill holding what its kind needs."""
        self.codes.setdefault(kind, []).extend(purchase.codes)
        bill = sample_order(demo.ITEMS, demo.needs_of(kind), at_least_fen=demo.face_value_of(kind))
        for code in purchase.codes:
            self.sample_orders[code] = bill

    def platform_order(self, purchase: Purchase) -> None:
        """A platform's own codes of one order, as the consumer shows them: Douyin's order QR
        (a v.douyin.com link offering every unused code of the order) when it has several,
        else the code; with a bill large enough for every use."""
        uses = len(purchase.codes)
        at_least = int(demo.GROUP_BUY["face_value_fen"]) * uses
        bill = sample_order(demo.ITEMS, at_least_fen=at_least, guests=2 * uses)
        shown = purchase.order_link if uses > 1 and purchase.order_link else purchase.codes[0]
        self.platform_codes.setdefault(purchase.platform, []).append(shown)
        self.sample_orders[shown] = bill
        self.uses[shown] = uses


def open_demo_world(
    make_uow: UnitOfWorkFactory,
    *,
    now: datetime,
    base_url: str,
    seal: Callable[[str], str],
    simulators: Mapping[str, str],
) -> dict[str, Any]:
    """Seed our side, then buy on every simulator that answers: the seed-demo JSON object
    (`notes` lists, in Chinese and English, what was left out and why)."""
    data = seed_demo(make_uow, now=now, base_url=base_url, seal=seal)
    bought, notes = Bought(), []
    # the official account's templates first, so the purchases below reach the inbox
    wechat = simulators.get("wechat")
    if wechat is not None and not reachable(wechat):
        notes.append(f"微信模拟器未运行,不发送消费者通知 / no wechat simulator answers at {wechat}")
        wechat = None
    notes += set_up_notifications(make_uow, now=now, wechat_url=wechat)
    for platform, url in simulators.items():
        if platform == "wechat":
            continue
        name = PLATFORM_NAMES[platform]
        if not reachable(url):
            notes.append(
                f"{name}模拟器未运行,未购买{name}票券"
                f" / no {platform} simulator answers at {url}: its codes are left out"
            )
            continue
        try:
            _buy(Shopper({platform: url}), platform, data["listings"][platform], bought)
        except SimulatorMissing as exc:
            notes.append(f"{name}模拟器购买失败 / buying on {platform} failed: {exc.reason}")
    data.update(
        codes=bought.codes,
        platform_codes=bought.platform_codes,
        sample_orders=bought.sample_orders,
        uses=bought.uses,
        notes=notes,
    )
    return data


def _buy(
    shopper: Shopper, platform: str, listings: dict[str, dict[str, Any]], bought: Bought
) -> None:
    """Offer the merchant's products on `platform`'s simulator, then buy each of them."""
    products = demo.products(platform, listings)
    shopper.offer(platform, products)
    for kind, listing in listings.items():
        product_id = listing["public_id"] if platform == "weimall" else listing["sku_id"]
        bought.merchant_codes(kind, shopper.buy(platform, product_id, demo.CODES_PER_PURCHASE))
    own = demo.PLATFORM_PRODUCTS.get(platform)
    for quantity in demo.PLATFORM_ORDERS.get(platform, ()):
        assert own is not None
        bought.platform_order(shopper.buy(platform, own, quantity))
