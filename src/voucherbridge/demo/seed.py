"""Our side of the demo world (`demo.catalogue`): 右姑娘火锅 with two stores, its people, dishes,
voucher templates and listings, tills, and every store bound to the local simulators.

Seeding again is safe: what exists is reused, demo terminal keys are rotated (only hashes are
stored, so new keys are the only way to print working ones). No code is made here: a code is
sold by a platform (`demo.world` buys them on the simulators), never inserted behind its back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.catalogue.listings import ListingSpec, create_listing
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.catalogue.templates import TemplateSpec, create_template
from voucherbridge.chain.auth import actor_of, hash_secret, new_terminal_key
from voucherbridge.chain.repository import MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.chain.sign_in import hash_password
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.demo import catalogue as demo
from voucherbridge.domain.codes import CodeType
from voucherbridge.domain.records import Listing
from voucherbridge.platforms.repository import BindingRepo

MERCHANT = "右姑娘火锅"
STORES = ("皇岗店", "福田店")
# Shown to consumers on 我的优惠 beside each store a voucher applies at.
ADDRESSES = {"皇岗店": "深圳市福田区皇岗路 2008 号 1 楼", "福田店": "深圳市福田区福华三路 88 号 B1"}
SEED_RECEIPT_TITLE = "右姑娘火锅(皇岗 店)"
# They pass the password rule (chain.passwords) that every real user's password must pass.
CONSOLE_USER, CONSOLE_PASSWORD = "admin", "hotpot-hq-demo"
MANAGER_USER, MANAGER_PASSWORD = "huanggang", "store-lead-demo"
# The simulators' demo credentials (weimall store n, Douyin POI n, Meituan shop n and the demo
# merchant session); see `voucherbridge simulate`.
# Store ref and secret per platform; Douyin has none (our one app, authorized by the merchant).
DEMO_BINDINGS: dict[str, tuple[str, str]] = {
    "weimall": ("wm-store-{n}", "wm-secret-1"),
    "douyin": ("700100000000{n}", ""),
    "meituan": ("mt-shop-{n}", "mt-demo-session"),
}
ITEMS = demo.ITEMS


def seed_demo(
    make_uow: UnitOfWorkFactory,
    *,
    now: datetime,
    base_url: str,
    seal: Callable[[str], str],
) -> dict[str, Any]:
    """Create (or refresh) our side of the demo; the seed-demo JSON object without codes
    (`listings` says what each platform sells, for `demo.world` to buy)."""
    # argon2 is slow on purpose: hash before the transaction, not inside it.
    hashes = {
        CONSOLE_USER: hash_password(CONSOLE_PASSWORD),
        MANAGER_USER: hash_password(MANAGER_PASSWORD),
    }
    uow = make_uow(write=True)
    with uow:
        merchant_id, store_ids, actor = _merchant_and_people(uow, hashes, now)
        for code, name, unit, price in ITEMS:
            if uow.repo(ItemRepo).get(merchant_id, code) is None:
                uow.repo(ItemRepo).add(
                    merchant_id, item_code=code, name=name, unit=unit, unit_price_fen=price, now=now
                )
        keys, replaced = _rotate_terminal_keys(uow, merchant_id, store_ids, now)
        _bind_to_simulators(uow, merchant_id, store_ids, seal, now)
        uow.commit()
    return {
        "base_url": base_url,
        "terminal_key": keys[STORES[0]],
        "terminal_keys": keys,
        "console": {"user": CONSOLE_USER, "password": CONSOLE_PASSWORD},
        "store_manager": {"user": MANAGER_USER, "password": MANAGER_PASSWORD, "store": STORES[0]},
        "items": [
            {"item_code": c, "name": n, "unit": u, "unit_price_fen": p} for c, n, u, p in ITEMS
        ],
        "listings": _listings(make_uow, actor, now),
        "keys_replaced": replaced,
        # 我的优惠 of the demo consumer (o-demo-buyer, who buys every demo code)
        "my_vouchers": f"{base_url.rstrip('/')}/wx/{merchant_id}/vouchers",
        "codes": {},
    }


def _merchant_and_people(
    uow: UnitOfWork, hashes: dict[str, str], now: datetime
) -> tuple[int, dict[str, int], Actor]:
    admin = uow.repo(UserRepo).by_username(CONSOLE_USER)
    if admin is None:
        merchant_id = uow.repo(MerchantRepo).add(name=MERCHANT, timezone="Asia/Shanghai", now=now)
    else:
        merchant_id = admin.merchant_id
    existing = {s.name: s.id for s in uow.repo(StoreRepo).list(merchant_id)}
    store_ids = {
        name: existing.get(name)
        or uow.repo(StoreRepo).add(
            merchant_id, name=name, brand=MERCHANT, address=ADDRESSES[name], now=now
        )
        for name in STORES
    }
    # The seed's receipt header reads 右姑娘火锅(皇岗 店), spacing and all.
    uow.repo(StoreRepo).update(
        merchant_id, store_ids[STORES[0]], {"receipt_title": SEED_RECEIPT_TITLE}
    )
    people: tuple[tuple[str, str, list[int], str], ...] = (
        (CONSOLE_USER, "hq_admin", [], "总部管理员"),
        (MANAGER_USER, "store_manager", [store_ids[STORES[0]]], "皇岗店店长"),
    )
    for username, role, scope, display in people:
        user = uow.repo(UserRepo).by_username(username)
        if user is None:
            uow.repo(UserRepo).add(
                merchant_id,
                username=username,
                display_name=display,
                password_hash=hashes[username],
                role=role,
                store_ids=scope,
                now=now,
            )
        else:
            uow.repo(UserRepo).update(
                merchant_id, user.id, {"password_hash": hashes[username], "active": True}
            )
    admin = uow.repo(UserRepo).by_username(CONSOLE_USER)
    assert admin is not None
    return merchant_id, store_ids, actor_of(admin)


def _bind_to_simulators(
    uow: UnitOfWork,
    merchant_id: int,
    store_ids: dict[str, int],
    seal: Callable[[str], str],
    now: datetime,
) -> None:
    for index, store_id in enumerate(store_ids.values(), start=1):
        for platform, (store_ref, secret) in DEMO_BINDINGS.items():
            binding = uow.repo(BindingRepo).get(merchant_id, store_id, platform)
            if binding is not None and binding.status == "bound":
                continue
            uow.repo(BindingRepo).save(
                merchant_id,
                store_id=store_id,
                platform=platform,
                platform_store_id=store_ref.format(n=index),
                secret_sealed=seal(secret) if secret else "",
                status="bound",
                last_error=None,
                now=now,
            )


def _rotate_terminal_keys(
    uow: UnitOfWork, merchant_id: int, store_ids: dict[str, int], now: datetime
) -> tuple[dict[str, str], bool]:
    """New demo keys; True when earlier ones were revoked (a restart: say so)."""
    replaced = False
    for terminal in uow.repo(TerminalRepo).list(merchant_id):
        if terminal.name.startswith("演示收银台") and terminal.revoked_at is None:
            uow.repo(TerminalRepo).revoke(merchant_id, terminal.id, now)
            replaced = True
    keys: dict[str, str] = {}
    for name, store_id in store_ids.items():
        key = new_terminal_key()
        uow.repo(TerminalRepo).add(
            merchant_id,
            store_id=store_id,
            name=f"演示收银台 {name}",
            key_prefix=key[:8],
            key_hash=hash_secret(key),
            now=now,
        )
        keys[name] = key
    return keys, replaced


def _templates(make_uow: UnitOfWorkFactory, actor: Actor, now: datetime) -> dict[str, int]:
    """Template ids by name: one per voucher kind, and the platforms' group-buy voucher."""
    with make_uow() as uow:
        rows = uow.repo(TemplateRepo).list(actor.merchant_id)
    ids = {row.template.name: row.template.id for row in rows}
    for spec in [*demo.TEMPLATES.values(), demo.GROUP_BUY]:
        if spec["name"] not in ids:
            made = create_template(
                make_uow(write=True), actor=actor, spec=TemplateSpec(**spec), now=now
            )
            ids[made.name] = made.id
    return ids


def _listings(
    make_uow: UnitOfWorkFactory, actor: Actor, now: datetime
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every demo listing (created once), by platform and kind; platform codes' listings are
    found by the platform's product id and need nothing printed."""
    templates = _templates(make_uow, actor, now)
    wanted: list[tuple[str, str, str, str | None, int]] = []
    for kind, platform, title in demo.MERCHANT_LISTINGS:
        template_id = templates[str(demo.TEMPLATES[kind]["name"])]
        wanted.append((platform, CodeType.MERCHANT.value, title, None, template_id))
    for platform, product_id, title in demo.PLATFORM_LISTINGS:
        template_id = templates[str(demo.GROUP_BUY["name"])]
        wanted.append((platform, CodeType.PLATFORM.value, title, product_id, template_id))
    by_title = _by_title(make_uow, actor)
    for platform, code_type, title, product, template_id in wanted:
        if title not in by_title:
            create_listing(
                make_uow(write=True),
                actor=actor,
                now=now,
                spec=ListingSpec(
                    template_id=template_id,
                    platform=platform,
                    code_type=code_type,
                    title=title,
                    platform_product_id=product,
                ),
            )
            by_title = _by_title(make_uow, actor)
    listings: dict[str, dict[str, dict[str, Any]]] = {}
    for index, (kind, platform, title) in enumerate(demo.MERCHANT_LISTINGS):
        spec, listing = demo.TEMPLATES[kind], by_title[title]
        listings.setdefault(platform, {})[kind] = {
            "public_id": listing.public_id,
            "title": title,
            "kind": kind,
            "price_fen": spec["price_fen"],
            "face_value_fen": spec["face_value_fen"],
            "sku_id": demo.douyin_sku_of(index) if platform == "douyin" else None,
        }
    listings.setdefault("meituan", {})
    return listings


def _by_title(make_uow: UnitOfWorkFactory, actor: Actor) -> dict[str, Listing]:
    with make_uow() as uow:
        return {li.title: li for li in uow.repo(ListingRepo).list(actor.merchant_id)}
