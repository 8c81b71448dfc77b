"""我的优惠 over HTTP: the buyer's codes (usable first, then used), the template's name and the
listing bought, face value in yuan, validity in the merchant's zone, the stores with their
addresses; the store filter self-pay asks for; another consumer's code, another merchant's code
and an unknown code are the same 404; an unknown merchant starts no sign-in. Both backends."""

from __future__ import annotations

from typing import Any

import httpx

from tests.consumer.conftest import FAN, STRANGER, Phone, buy_for
from tests.factories import make_merchant
from tests.helpers import SEED_ORDER, buy_weimall, must_redeem, open_order
from voucherbridge.bootstrap import Container
from voucherbridge.catalogue.listings import ListingSpec, create_listing
from voucherbridge.catalogue.templates import TemplateSpec, create_template
from voucherbridge.consumer.vouchers import my_voucher, my_vouchers
from voucherbridge.core.actor import Actor
from voucherbridge.platforms.purchases import purchase_in

API = "/api/admin/v1"
HUANGGANG = "深圳市福田区皇岗路 1 号"


def _stores(client: Any, admin: dict[str, str]) -> dict[str, int]:
    return {s["name"]: s["id"] for s in client.get(f"{API}/stores", headers=admin).json()}


def test_my_vouchers_lists_the_buyers_codes_usable_first(
    phone: Phone,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    merchant_id: int,
    container: Container,
) -> None:
    stores = _stores(client, admin)
    patched = client.patch(
        f"{API}/stores/{stores['皇岗店']}", json={"address": HUANGGANG}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    used, kept = buy_for(weimall, client, admin, FAN, quantity=2)
    [theirs] = buy_for(weimall, client, admin, STRANGER)
    order = open_order(client, auth, SEED_ORDER["lines"], table="S001", guests=2)
    must_redeem(client, auth, used, order["id"])

    page = phone.sign_in(f"/wx/{merchant_id}/vouchers", FAN)
    assert page.status_code == 200
    html = page.text
    assert kept in html
    assert used in html
    assert theirs not in html
    assert html.index(kept) < html.index(used)  # usable first, then used
    assert "100元代金券" in html
    assert "60代100元票券抢购" in html
    assert "¥100.00" in html
    assert "皇岗店" in html
    assert HUANGGANG in html
    assert "福田店" in html
    assert "可使用" in html
    assert "已使用" in html
    assert page.headers["cache-control"] == "no-store"

    mine = my_vouchers(container.uow(), merchant_id, FAN, now=container.clock())
    assert [v.code for v in mine] == [kept, used]
    first = mine[0]
    assert (first.status, first.usable_now, first.open) == ("usable", True, True)
    assert first.face_value_fen == 10000
    assert first.kind == "cash"
    assert str(first.valid_from.tzinfo) == "Asia/Shanghai"  # the merchant's zone
    assert (first.valid_from.hour, first.valid_from.minute) == (0, 0)  # whole local days
    assert {s.name: s.address for s in first.stores}["皇岗店"] == HUANGGANG
    assert (mine[1].status, mine[1].status_label, mine[1].open) == ("used", "已使用", False)
    assert mine[1].redeemed_at is not None

    detail = phone.http.get(f"/wx/{merchant_id}/vouchers/{kept}")
    assert detail.status_code == 200
    assert 'id="voucher-qr"' in detail.text
    assert "<svg" in detail.text
    assert " ".join([kept[:4], kept[4:8], kept[8:12], kept[12:]]) in detail.text
    spent = phone.http.get(f"/wx/{merchant_id}/vouchers/{used}")
    assert spent.status_code == 200
    assert "<svg" not in spent.text
    assert "已使用" in spent.text


def test_the_store_filter_keeps_the_codes_that_apply_there(
    weimall: httpx.Client, live: str, client: Any, admin: dict[str, str], container: Container
) -> None:
    stores = _stores(client, admin)
    only_futian = {
        "kind": "cash",
        "name": "福田店专享50元券",
        "face_value_fen": 5000,
        "price_fen": 3000,
        "validity_mode": "relative",
        "valid_days": 30,
        "store_ids": [stores["福田店"]],
    }
    template = client.post(f"{API}/templates", json=only_futian, headers=admin)
    assert template.status_code == 201, template.text
    body = {
        "template_id": template.json()["id"],
        "platform": "weimall",
        "code_type": "merchant",
        "title": "福田店专享",
    }
    listing = client.post(f"{API}/listings", json=body, headers=admin)
    assert listing.status_code == 201, listing.text
    [everywhere] = buy_for(weimall, client, admin, FAN)
    [futian] = buy_weimall(weimall, listing.json()["public_id"], quantity=1, openid=FAN)["codes"]
    merchant_id = int(client.get(f"{API}/me", headers=admin).json()["merchant"]["id"])
    at = {
        name: [v.code for v in my_vouchers(container.uow(), merchant_id, FAN, store_id)]
        for name, store_id in stores.items()
    }
    assert sorted(at["福田店"]) == sorted([everywhere, futian])
    assert at["皇岗店"] == [everywhere]
    assert my_vouchers(container.uow(), merchant_id, FAN, 999_999) == []


def _sold_by_another_merchant(container: Container, openid: str) -> tuple[int, str]:
    """Another merchant sells a code to the same WeChat user (through its own listing)."""
    other = make_merchant(container, name="别家烧烤")
    actor = Actor.operator(other.merchant_id)
    now = container.clock()
    spec = TemplateSpec(
        kind="cash",
        name="别家50元券",
        face_value_fen=5000,
        price_fen=3000,
        validity_mode="relative",
        valid_days=30,
    )
    template = create_template(container.uow(write=True), actor=actor, spec=spec, now=now)
    listing = create_listing(
        container.uow(write=True),
        actor=actor,
        now=now,
        spec=ListingSpec(
            template_id=template.id, platform="weimall", code_type="merchant", title="别家券"
        ),
    )
    with container.uow(write=True) as uow:
        bought = purchase_in(
            uow,
            platform="weimall",
            merchant_id=other.merchant_id,
            listing_public_id=listing.public_id,
            platform_order_id="other-merchant-order-1",
            quantity=1,
            buyer_openid=openid,
            now=now,
        )
        uow.commit()
    return other.merchant_id, bought.codes[0]


def test_someone_elses_or_another_merchants_code_is_a_404(
    phone: Phone,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    admin: dict[str, str],
    merchant_id: int,
    container: Container,
) -> None:
    [mine] = buy_for(weimall, client, admin, FAN)
    [theirs] = buy_for(weimall, client, admin, STRANGER)
    other_merchant, elsewhere = _sold_by_another_merchant(container, FAN)
    assert phone.sign_in(f"/wx/{merchant_id}/vouchers/{mine}", FAN).status_code == 200
    unknown = phone.http.get(f"/wx/{merchant_id}/vouchers/J00000000000000")
    assert unknown.status_code == 404
    assert "票券不存在" in unknown.text
    for code in (theirs, elsewhere):
        refused = phone.http.get(f"/wx/{merchant_id}/vouchers/{code}")
        assert refused.status_code == 404, code
        assert refused.text.replace(code, "") == unknown.text.replace("J00000000000000", "")
    assert elsewhere not in phone.http.get(f"/wx/{merchant_id}/vouchers").text
    # signed in at this merchant is not signed in at the other: it asks WeChat first
    assert phone.http.get(f"/wx/{other_merchant}/vouchers/{elsewhere}").status_code == 302
    assert my_voucher(container.uow(), merchant_id, FAN, elsewhere) is None
    assert my_voucher(container.uow(), other_merchant, FAN, elsewhere) is not None
    assert my_voucher(container.uow(), merchant_id, STRANGER, mine) is None


def test_an_unknown_merchant_or_a_junk_path_starts_no_sign_in(phone: Phone) -> None:
    for path in (
        "/wx/999999/vouchers",
        "/wx/999999/vouchers/J1",
        "/wx/0/vouchers",
        "/wx/x/vouchers",
    ):
        response = phone.http.get(path)
        assert response.status_code == 404, path
        assert "set-cookie" not in response.headers, path
