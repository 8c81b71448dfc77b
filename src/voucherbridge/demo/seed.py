"""Demo data modelled on the seeds: 右姑娘火锅 with two stores, the seed's dishes, four vouchers.

Seeding again is safe: the merchant is reused, demo terminal keys are rotated (only hashes are
stored, so new keys are the only way to print working ones) and fresh codes are issued.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from voucherbridge.catalogue.issuing import issue_codes
from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.catalogue.listings import ListingSpec, create_listing
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.catalogue.templates import TemplateSpec, create_template
from voucherbridge.chain.auth import actor_of, hash_secret, new_terminal_key
from voucherbridge.chain.repository import MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.chain.sign_in import hash_password
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import CodeType, Platform
from voucherbridge.domain.records import Listing
from voucherbridge.platforms.repository import BindingRepo

MERCHANT = "右姑娘火锅"
STORES = ("皇岗店", "福田店")
SEED_RECEIPT_TITLE = "右姑娘火锅(皇岗 店)"
CONSOLE_USER, CONSOLE_PASSWORD = "admin", "admin123"
MANAGER_USER, MANAGER_PASSWORD = "huanggang", "manager123"
# The simulators' demo credentials (weimall store n, Douyin POI n, Meituan shop n and the demo
# merchant session); see `voucherbridge simulate`.
DEMO_BINDINGS: dict[str, tuple[str, str]] = {
    "weimall": ("wm-store-{n}", "wm-secret-1"),
    "douyin": ("700100000000{n}", "vb-demo-secret"),
    "meituan": ("mt-shop-{n}", "mt-demo-session"),
}

ITEMS = (
    ("BEER01", "朝日超爽黑生啤", "份", 1800),
    ("WLJ01", "王老吉", "份", 4800),
    ("SOUP01", "凉瓜黄豆汤底", "条", 19900),
    ("DISH01", "鱼香肉丝", "份", 3800),
    ("BREAD01", "法棍泡芙", "个", 1990),
)
TEMPLATES: tuple[tuple[str, dict[str, Any], str, str], ...] = (
    (
        "cash",
        {
            "kind": "cash",
            "name": "100元代金券",
            "face_value_fen": 10000,
            "price_fen": 6000,
            "validity_mode": "relative",
            "valid_days": 90,
        },
        "weimall",
        "60代100元票券抢购",
    ),
    (
        "item",
        {
            "kind": "item",
            "name": "鱼香肉丝实物券",
            "face_value_fen": 3800,
            "price_fen": 2500,
            "item_codes": ["DISH01"],
            "validity_mode": "relative",
            "valid_days": 60,
        },
        "weimall",
        "鱼香肉丝实物券",
    ),
    (
        "deduction",
        {
            "kind": "deduction",
            "name": "法棍泡芙-抖音福利",
            "face_value_fen": 1990,
            "price_fen": 1290,
            "item_codes": ["BREAD01"],
            "validity_mode": "relative",
            "valid_days": 30,
        },
        "douyin",
        "法棍泡芙-抖音福利",
    ),
    (
        "combo",
        {
            "kind": "combo",
            "name": "双人火锅套餐",
            "face_value_fen": 28300,
            "price_fen": 19800,
            "item_codes": ["SOUP01", "BEER01", "BEER01", "WLJ01"],
            "validity_mode": "relative",
            "valid_days": 60,
            "per_order_limit": 2,
        },
        "douyin",
        "双人火锅套餐(抖音团购)",
    ),
)
CODES_PER_KIND = 5


def seed_demo(
    make_uow: UnitOfWorkFactory,
    *,
    now: datetime,
    base_url: str,
    seal: Callable[[str], str],
) -> dict[str, Any]:
    """Create (or refresh) the demo merchant; returns the SPEC's seed-demo JSON object.

    Every demo store is bound to the local simulators' demo stores (`voucherbridge simulate`),
    so demo codes redeem at once and their sync reaches a simulator when one runs.
    """
    uow = make_uow(write=True)
    with uow:
        merchant_id, store_ids, actor = _merchant_and_people(uow, now)
        for code, name, unit, price in ITEMS:
            if uow.repo(ItemRepo).get(merchant_id, code) is None:
                uow.repo(ItemRepo).add(
                    merchant_id, item_code=code, name=name, unit=unit, unit_price_fen=price, now=now
                )
        keys = _rotate_terminal_keys(uow, merchant_id, store_ids, now)
        _bind_to_simulators(uow, merchant_id, store_ids, seal, now)
        uow.commit()
    listings = _listings(make_uow, actor, now)
    codes: dict[str, list[str]] = {}
    uow = make_uow(write=True)
    with uow:
        for kind, listing in listings.items():
            issued = issue_codes(
                uow,
                merchant_id=merchant_id,
                listing=listing,
                platform_order_id=f"demo-{secrets.token_hex(6)}",
                quantity=CODES_PER_KIND,
                buyer_openid=None,
                now=now,
                actor="demo",
            )
            codes[kind] = issued.codes
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
        "codes": codes,
    }


def _merchant_and_people(uow: UnitOfWork, now: datetime) -> tuple[int, dict[str, int], Actor]:
    admin = uow.repo(UserRepo).by_username(CONSOLE_USER)
    if admin is None:
        merchant_id = uow.repo(MerchantRepo).add(name=MERCHANT, timezone="Asia/Shanghai", now=now)
    else:
        merchant_id = admin.merchant_id
    existing = {s.name: s.id for s in uow.repo(StoreRepo).list(merchant_id)}
    store_ids = {
        name: existing.get(name)
        or uow.repo(StoreRepo).add(merchant_id, name=name, brand=MERCHANT, address="", now=now)
        for name in STORES
    }
    # The seed's receipt header reads 右姑娘火锅(皇岗 店), spacing and all.
    uow.repo(StoreRepo).update(
        merchant_id, store_ids[STORES[0]], {"receipt_title": SEED_RECEIPT_TITLE}
    )
    people: tuple[tuple[str, str, str, list[int], str], ...] = (
        (CONSOLE_USER, CONSOLE_PASSWORD, "hq_admin", [], "总部管理员"),
        (MANAGER_USER, MANAGER_PASSWORD, "store_manager", [store_ids[STORES[0]]], "皇岗店店长"),
    )
    for username, password, role, scope, display in people:
        user = uow.repo(UserRepo).by_username(username)
        if user is None:
            uow.repo(UserRepo).add(
                merchant_id,
                username=username,
                display_name=display,
                password_hash=hash_password(password),
                role=role,
                store_ids=scope,
                now=now,
            )
        else:
            uow.repo(UserRepo).update(
                merchant_id, user.id, {"password_hash": hash_password(password), "active": True}
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
                secret_sealed=seal(secret),
                status="bound",
                last_error=None,
                now=now,
            )


def _rotate_terminal_keys(
    uow: UnitOfWork, merchant_id: int, store_ids: dict[str, int], now: datetime
) -> dict[str, str]:
    for terminal in uow.repo(TerminalRepo).list(merchant_id):
        if terminal.name.startswith("演示收银台") and terminal.revoked_at is None:
            uow.repo(TerminalRepo).revoke(merchant_id, terminal.id, now)
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
    return keys


def _listings(make_uow: UnitOfWorkFactory, actor: Actor, now: datetime) -> dict[str, Listing]:
    with make_uow() as uow:
        by_title = {li.title: li for li in uow.repo(ListingRepo).list(actor.merchant_id)}
    result: dict[str, Listing] = {}
    for kind, spec, platform, title in TEMPLATES:
        if title not in by_title:
            template = create_template(
                make_uow(write=True), actor=actor, spec=TemplateSpec(**spec), now=now
            )
            create_listing(
                make_uow(write=True),
                actor=actor,
                now=now,
                spec=ListingSpec(
                    template_id=template.id,
                    platform=Platform(platform).value,
                    code_type=CodeType.MERCHANT.value,
                    title=title,
                ),
            )
            with make_uow() as uow:
                by_title = {li.title: li for li in uow.repo(ListingRepo).list(actor.merchant_id)}
        result[kind] = by_title[title]
    return result
