"""A Douyin or Meituan platform code sold for another store of the chain, scanned at 皇岗店:
the refusal names the store that scanned and the code, like a micro-mall code of another store
does (prepare and redeem, zh and en), and nothing is used anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import (
    buy_douyin,
    buy_meituan,
    douyin_codes,
    platform_listing,
    redeem,
    terminal_headers,
)
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t

API = "/api/admin/v1"
OTHER_POI, OTHER_SHOP = "7001000000002", "mt-shop-2"  # 福田店 on Douyin and on Meituan
Order = Callable[..., dict[str, Any]]


def _platform_listing(client: Any, admin: dict[str, str], platform: str, product: str) -> None:
    platform_listing(client, admin, platform, product)


def _other_store_code(
    platform: str, client: Any, admin: dict[str, str], douyin: httpx.Client, meituan: httpx.Client
) -> str:
    """A code the consumer bought for 福田店 only."""
    if platform == "douyin":
        _platform_listing(client, admin, "douyin", "sku-fd-1")
        bought = buy_douyin(
            douyin, poi_id=OTHER_POI, sku_id="sku-fd-1", count=1, code_type="platform"
        )
        return douyin_codes(bought)[0]
    _platform_listing(client, admin, "meituan", "880901")
    return buy_meituan(meituan, "880901", open_shop_uuid=OTHER_SHOP)[0]


def _used_on_platform(douyin: httpx.Client, meituan: httpx.Client) -> int:
    verified = douyin.get("/_sim/state").json()["verifications"]
    consumed = meituan.get("/_sim/state").json()["consumes"]
    return len(verified) + len(consumed)


@pytest.mark.parametrize("platform", ["douyin", "meituan"])
@pytest.mark.parametrize("step", ["prepare", "redeem"])
def test_a_code_of_another_store_names_the_store_that_scanned_it(
    platform: str,
    step: str,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Order,
    douyin: httpx.Client,
    meituan: httpx.Client,
    container: Container,
):
    code = _other_store_code(platform, client, admin, douyin, meituan)
    order = new_order()
    path = "/api/v1/vouchers/prepare" if step == "prepare" else "/api/v1/redemptions"
    body = {"code": code, "order_id": order["id"]}

    refused = client.post(path, json=body, headers=auth)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "voucher_store_not_applicable"
    assert error["message"] == f"皇岗店不能使用该票券,票券【消费号{code}】不能使用!"
    assert (error["details"]["store"], error["details"]["code"]) == ("皇岗店", code)

    english = client.post(path, json=body, headers={**auth, "Accept-Language": "en"})
    assert english.status_code == 422
    assert english.json()["error"]["message"] == f"Voucher {code} cannot be used at 皇岗店"

    assert _used_on_platform(douyin, meituan) == 0  # used nowhere...
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert shown["due_fen"] == order["due_fen"]  # ...and nothing on our order
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.redemptions)).scalar_one() == 0


def test_the_same_code_at_the_store_it_was_sold_for_redeems(
    client: Any,
    admin: dict[str, str],
    demo: dict[str, Any],
    new_order: Order,
    douyin: httpx.Client,
    meituan: httpx.Client,
):
    """The refusals above are about the store: 福田店's till redeems such codes."""
    till = terminal_headers(demo["terminal_keys"]["福田店"])
    for platform in ("douyin", "meituan"):
        code = _other_store_code(platform, client, admin, douyin, meituan)
        redeemed = redeem(client, till, code, new_order(headers=till)["id"])
        assert redeemed.status_code == 201, redeemed.text
    assert _used_on_platform(douyin, meituan) == 2
