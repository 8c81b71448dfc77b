"""What the demo merchant 右姑娘火锅 sells, modelled on the seeds: the dishes, four voucher
templates (one of each kind), each listed on the micro-mall and on Douyin as merchant codes, and
a 100-yuan group-buy voucher sold on Douyin and on Meituan as the platforms' own codes."""

from __future__ import annotations

from typing import Any

# (item_code, name, unit, unit price in fen)
ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("BEER01", "朝日超爽黑生啤", "份", 1800),
    ("WLJ01", "王老吉", "份", 4800),
    ("SOUP01", "凉瓜黄豆汤底", "条", 19900),
    ("DISH01", "鱼香肉丝", "份", 3800),
    ("BREAD01", "法棍泡芙", "个", 1990),
)
TEMPLATES: dict[str, dict[str, Any]] = {
    "cash": {
        "kind": "cash",
        "name": "100元代金券",
        "face_value_fen": 10000,
        "price_fen": 6000,
        "validity_mode": "relative",
        "valid_days": 90,
    },
    "item": {
        "kind": "item",
        "name": "鱼香肉丝实物券",
        "face_value_fen": 3800,
        "price_fen": 2500,
        "item_codes": ["DISH01"],
        "validity_mode": "relative",
        "valid_days": 60,
    },
    "deduction": {
        "kind": "deduction",
        "name": "法棍泡芙-抖音福利",
        "face_value_fen": 1990,
        "price_fen": 1290,
        "item_codes": ["BREAD01"],
        "validity_mode": "relative",
        "valid_days": 30,
    },
    "combo": {
        "kind": "combo",
        "name": "双人火锅套餐",
        "face_value_fen": 28300,
        "price_fen": 19800,
        "item_codes": ["SOUP01", "BEER01", "BEER01", "WLJ01"],
        "validity_mode": "relative",
        "valid_days": 60,
        "per_order_limit": 2,
    },
}
# (kind, platform, listing title): merchant codes (J on the mall, D on Douyin). The first four
# are the demo's original listings, in their original order.
MERCHANT_LISTINGS: tuple[tuple[str, str, str], ...] = (
    ("cash", "weimall", "60代100元票券抢购"),
    ("item", "weimall", "鱼香肉丝实物券"),
    ("deduction", "douyin", "法棍泡芙-抖音福利"),
    ("combo", "douyin", "双人火锅套餐(抖音团购)"),
    ("cash", "douyin", "100元代金券(抖音)"),
    ("item", "douyin", "鱼香肉丝实物券(抖音)"),
    ("deduction", "weimall", "法棍泡芙(商城)"),
    ("combo", "weimall", "双人火锅套餐(商城)"),
)
# The platforms' own codes: a 100-yuan voucher, up to three used on one bill.
GROUP_BUY: dict[str, Any] = {
    "kind": "cash",
    "name": "团购100元代金券",
    "face_value_fen": 10000,
    "price_fen": 5990,
    "validity_mode": "relative",
    "valid_days": 30,
    "per_order_limit": 3,
}
DOUYIN_SKU = "1780000000100"
MEITUAN_DEAL = "600100100"
# (platform, the platform's product id, listing title)
PLATFORM_LISTINGS: tuple[tuple[str, str, str], ...] = (
    ("douyin", DOUYIN_SKU, "抖音团购100元代金券"),
    ("meituan", MEITUAN_DEAL, "美团100元代金券"),
)
PLATFORM_PRODUCTS = {"douyin": DOUYIN_SKU, "meituan": MEITUAN_DEAL}
# How many codes a demo consumer buys per merchant listing, and per platform order.
CODES_PER_PURCHASE = 2
PLATFORM_ORDERS = {"douyin": (1, 3), "meituan": (1, 2)}
# The simulators' store ids of the demo's first store (皇岗店), as the bindings name them.
FIRST_STORE = {"weimall": "wm-store-1", "douyin": "7001000000001", "meituan": "mt-shop-1"}


def needs_of(kind: str) -> list[str]:
    return list(TEMPLATES[kind].get("item_codes") or [])


def face_value_of(kind: str) -> int:
    return int(TEMPLATES[kind]["face_value_fen"])


def products(platform: str, listings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The merchant's products as `platform`'s simulator lists them for its consumers."""
    store = FIRST_STORE[platform]
    offered: list[dict[str, Any]] = []
    for listing in listings.values():
        if platform == "weimall":
            offered.append(
                {
                    "coupon_id": listing["public_id"],
                    "title": listing["title"],
                    "store_id": store,
                    "unit_price_fen": listing["price_fen"],
                    "face_value_fen": listing["face_value_fen"],
                }
            )
        elif platform == "douyin":
            offered.append({**douyin_merchant_sku(listing), "poi_ids": [store]})
    if platform == "douyin":
        offered.append({**douyin_platform_sku(), "poi_ids": [store]})
    if platform == "meituan":
        offered.append({**meituan_deal(), "open_shop_uuids": [store]})
    return offered


def douyin_sku_of(index: int) -> str:
    """The Douyin product id of the demo's `index`-th merchant listing (stable across runs)."""
    return f"17900000000{index:02d}"


def douyin_merchant_sku(listing: dict[str, Any]) -> dict[str, Any]:
    """A Douyin product selling our listing as merchant codes (三方码: our issue SPI)."""
    return {
        "sku_id": listing["sku_id"],
        "title": listing["title"],
        "code_type": "merchant",
        "third_sku_id": listing["public_id"],
        "groupon_type": 1 if listing["kind"] == "combo" else 2,
        "original_amount": listing["face_value_fen"],
        "pay_amount": listing["price_fen"],
        "valid_days": 30,
    }


def douyin_platform_sku() -> dict[str, Any]:
    return {
        "sku_id": DOUYIN_SKU,
        "title": "抖音团购100元代金券",
        "code_type": "platform",
        "groupon_type": 2,
        "original_amount": GROUP_BUY["face_value_fen"],
        "pay_amount": GROUP_BUY["price_fen"],
        "valid_days": 30,
    }


def meituan_deal() -> dict[str, Any]:
    return {
        "deal_id": MEITUAN_DEAL,
        "title": "美团100元代金券",
        "price_fen": GROUP_BUY["price_fen"],
        "market_price_fen": GROUP_BUY["face_value_fen"],
        "valid_days": 30,
    }
