"""Console edits and disabling (issue 18, point 9) through HTTP, on SQLite and PostgreSQL: what a
person reads on the confirmation (the unused codes of a listing or template), the disabled state,
re-enabling, opening hours in words, the audit rows, and who may do what (HQ, a store manager,
another merchant)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_merchant
from tests.helpers import (
    ADMIN_API,
    SEED_ORDER,
    demo_admin_headers,
    must_redeem,
    open_order,
    redeem,
    terminal_headers,
)
from voucherbridge.bootstrap import Container
from voucherbridge.chain.users import create_user
from voucherbridge.core.actor import Actor

OTHER_HQ, OTHER_PASSWORD = "edits-b-hq", "Walnut-Harbour-2039"
STORE_DISABLED_ZH = "门店已停用,本店的收银终端不能核销,也不能登录收银;请联系总部重新启用门店"


def _desk(app: Any, username: str, password: str) -> TestClient:
    desk = TestClient(app)
    signed_in = desk.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    return desk


def _csrf(desk: TestClient, path: str = "/console") -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', desk.get(path).text)
    assert match
    return match.group(1)


def _post(desk: TestClient, path: str, **data: str) -> Any:
    return desk.post(path, data={"csrf": _csrf(desk), **data}, follow_redirects=False)


def _text(html: str) -> str:
    """The words a person reads: tags dropped, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def hq_desk(app: Any, demo: dict[str, Any]) -> Iterator[TestClient]:
    with _desk(app, demo["console"]["user"], demo["console"]["password"]) as desk:
        yield desk


@pytest.fixture
def manager_desk(app: Any, demo: dict[str, Any]) -> Iterator[TestClient]:
    person = demo["store_manager"]
    with _desk(app, person["user"], person["password"]) as desk:
        yield desk


@pytest.fixture
def other_desk(app: Any, container: Container) -> Iterator[TestClient]:
    """Another merchant's HQ admin, signed in to the console."""
    other = make_merchant(container, name="别家烧烤")
    create_user(
        container.uow(write=True),
        actor=Actor(0, other.merchant_id, "setup", "hq_admin", None),
        username=OTHER_HQ,
        password=OTHER_PASSWORD,
        role="hq_admin",
        now=container.clock(),
    )
    with _desk(app, OTHER_HQ, OTHER_PASSWORD) as desk:
        yield desk


def _sold_listing(
    client: Any, hq: dict[str, str], sold: int, store_ids: list[int]
) -> dict[str, Any]:
    """A 50-yuan cash template on the micro-mall with `sold` codes minted under its listing."""
    template = client.post(
        f"{ADMIN_API}/templates",
        headers=hq,
        json={
            "kind": "cash",
            "name": "50元代金券(停用测试)",
            "face_value_fen": 5000,
            "price_fen": 3000,
            "validity_mode": "relative",
            "valid_days": 30,
            "store_ids": store_ids,
        },
    )
    assert template.status_code == 201, template.text
    listing = client.post(
        f"{ADMIN_API}/listings",
        headers=hq,
        json={
            "template_id": template.json()["id"],
            "platform": "weimall",
            "title": "50元券·老活动",
        },
    )
    assert listing.status_code == 201, listing.text
    batch = client.post(
        f"{ADMIN_API}/listings/{listing.json()['id']}/codes",
        headers=hq,
        json={"quantity": sold, "reference": "old-campaign"},
    )
    assert batch.status_code == 201, batch.text
    return {**listing.json(), "codes": batch.json()["codes"], "template": template.json()}


def _audit_actions(client: Any, hq: dict[str, str]) -> list[str]:
    page = client.get(f"{ADMIN_API}/audit", headers=hq, params={"limit": 200}).json()
    return [r["action"] for r in page["items"]]


def test_disabling_a_listing_says_how_many_sold_codes_stay_usable_then_shows_it_disabled(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    listing = _sold_listing(client, hq, sold=4, store_ids=[])
    till = terminal_headers(demo["terminal_key"])
    used, *unused = listing["codes"]
    must_redeem(client, till, used, open_order(client, till, **SEED_ORDER)["id"])
    path = f"/console/listings/{listing['id']}/disable"

    asked = _post(hq_desk, path)
    assert asked.status_code == 200, asked.text
    words = _text(asked.text)
    assert "停用票券关联「50元券·老活动」?" in words
    assert "还有 3 张已售出未使用的券,停用后它们仍可在有效期内核销。" in words
    assert "停用只停止新的售卖" in words
    assert 'name="confirm" value="yes"' in asked.text
    still = client.get(f"{ADMIN_API}/listings/{listing['id']}", headers=hq).json()
    assert still["active"] is True  # the first post only asks
    api = client.get(f"{ADMIN_API}/listings/{listing['id']}/sales-stop", headers=hq).json()
    assert (api["unused_codes"], api["listings"], api["platform_codes"]) == (3, 1, False)
    english = _text(_post(hq_desk, f"{path}?lang=en").text)
    hq_desk.get("/console?lang=zh")
    assert "3 codes already sold are still unused; after disabling they can still be" in english

    done = _post(hq_desk, path, confirm="yes")
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/console/listings?disabled={listing['id']}",
    )
    page = hq_desk.get("/console/listings").text
    row = re.search(rf'<tr data-listing-id="{listing["id"]}".*?</tr>', page, re.S)
    assert row
    assert "已停用 已售出的券仍可核销" in _text(row.group(0))
    assert f'data-enable="listings:{listing["id"]}"' in row.group(0)

    # a code sold before still redeems at the till
    order = open_order(client, till, **SEED_ORDER)["id"]
    assert must_redeem(client, till, unused[0], order)["discount_fen"] == 5000

    again = _post(hq_desk, f"/console/listings/{listing['id']}/enable")
    assert again.status_code == 303
    assert client.get(f"{ADMIN_API}/listings/{listing['id']}", headers=hq).json()["active"]
    actions = _audit_actions(client, hq)
    assert {"listing.disable", "listing.enable"} <= set(actions)


def test_disabling_a_template_counts_the_unused_codes_of_all_its_listings(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    listing = _sold_listing(client, hq, sold=2, store_ids=[])
    template_id = listing["template"]["id"]
    asked = _post(hq_desk, f"/console/templates/{template_id}/disable")
    words = _text(asked.text)
    assert "停用券模板「50元代金券(停用测试)」?" in words
    assert "它的 1 个票券关联都会停止售卖新券。" in words
    api = client.get(f"{ADMIN_API}/templates/{template_id}/sales-stop", headers=hq).json()
    assert (api["kind"], api["unused_codes"], api["listings"]) == ("template", 2, 1)
    assert "还有 2 张已售出未使用的券,停用后它们仍可在有效期内核销。" in words

    assert (
        _post(hq_desk, f"/console/templates/{template_id}/disable", confirm="yes").status_code
        == 303
    )
    row = re.search(
        rf'<tr data-template-id="{template_id}">.*?</tr>',
        hq_desk.get("/console/templates").text,
        re.S,
    )
    assert row
    assert "已停用 已售出的券仍可核销" in _text(row.group(0))
    till = terminal_headers(demo["terminal_key"])
    must_redeem(client, till, listing["codes"][0], open_order(client, till, **SEED_ORDER)["id"])

    # editing the template keeps it disabled: only the list's buttons switch it
    form = hq_desk.get(f"/console/templates/{template_id}/edit").text
    assert 'name="active"' not in form
    assert _post(hq_desk, f"/console/templates/{template_id}/enable").status_code == 303
    view = client.get(f"{ADMIN_API}/templates/{template_id}", headers=hq).json()
    assert view["active"] is True
    assert {"template.disable", "template.enable"} <= set(_audit_actions(client, hq))


def test_store_opening_hours_are_checked_and_shown_in_words(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    store_id = next(
        s["id"]
        for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()
        if s["name"] == "皇岗店"
    )
    fields = {"name": "皇岗店", "brand": "右姑娘火锅", "address": "皇岗路1号"}
    typo = _post(hq_desk, f"/console/stores/{store_id}/edit", **fields, opening_hours="10点-22点")
    assert typo.status_code == 400
    message = re.search(r'data-field="opening_hours">([^<]*)<', typo.text)
    assert message
    assert message.group(1).startswith("营业时间格式不对,请写成 10:00-14:00,17:00-22:00")
    assert 'value="10点-22点"' in typo.text  # what was typed comes back

    saved = _post(
        hq_desk,
        f"/console/stores/{store_id}/edit",
        **fields,
        opening_hours="10:00-14:00，17:00-02:00",
    )
    assert saved.status_code == 303, saved.text
    page = _text(hq_desk.get(f"/console/stores/{store_id}").text)
    assert "10:00 至 14:00、17:00 至次日 02:00" in page
    api = client.get(f"{ADMIN_API}/stores/{store_id}", headers=hq).json()
    assert api["opening_hours"] == "10:00-14:00,17:00-02:00"  # the alerts' format
    api_typo = client.patch(
        f"{ADMIN_API}/stores/{store_id}", headers=hq, json={"opening_hours": "25:00-26:00"}
    )
    assert (api_typo.status_code, api_typo.json()["error"]["code"]) == (
        422,
        "opening_hours_invalid",
    )
    assert "store.update" in _audit_actions(client, hq)


def test_a_disabled_store_stops_its_tills_in_words_and_reenabling_brings_them_back(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    store_id = stores["皇岗店"]
    till = terminal_headers(demo["terminal_key"])
    order = open_order(client, till, **SEED_ORDER)["id"]

    asked = _text(_post(hq_desk, f"/console/stores/{store_id}/disable").text)
    assert "停用门店「皇岗店」?" in asked
    assert re.search(r"本店 \d+ 台收银终端立即不能核销、不能开单", asked)
    assert _post(hq_desk, f"/console/stores/{store_id}/disable", confirm="yes").status_code == 303
    assert "已停用,本店收银终端不能核销" in _text(hq_desk.get(f"/console/stores/{store_id}").text)

    refused = redeem(client, till, demo["codes"]["cash"][0], order)
    assert refused.status_code == 403, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["message"]) == (
        "store_disabled",
        STORE_DISABLED_ZH,
    )
    english = client.post(
        "/api/v1/orders", json=SEED_ORDER, headers={**till, "Accept-Language": "en"}
    )
    assert english.json()["error"]["message"].startswith("This store is disabled")
    other_till = terminal_headers(demo["terminal_keys"]["福田店"])
    open_order(client, other_till, **SEED_ORDER)  # the other store is not concerned

    assert _post(hq_desk, f"/console/stores/{store_id}/enable").status_code == 303
    must_redeem(client, till, demo["codes"]["cash"][0], order)
    assert {"store.update"} <= set(_audit_actions(client, hq))


def test_a_terminal_is_renamed_disabled_after_asking_and_enabled_again_with_its_key(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    key = demo["terminal_key"]
    till = terminal_headers(key)
    [mine] = [
        t
        for t in client.get(f"{ADMIN_API}/terminals", headers=hq).json()
        if key.startswith(t["key_prefix"]) and t["active"]
    ]
    renamed = _post(hq_desk, f"/console/terminals/{mine['id']}/edit", name="前台一号机")
    assert renamed.status_code == 303, renamed.text
    assert "前台一号机" in hq_desk.get("/console/terminals").text

    asked = _text(_post(hq_desk, f"/console/terminals/{mine['id']}/disable").text)
    assert "停用收银终端「前台一号机」?" in asked
    assert "重新启用后同一个密钥恢复可用" in asked
    assert open_order(client, till, **SEED_ORDER)  # still works until confirmed
    assert (
        _post(hq_desk, f"/console/terminals/{mine['id']}/disable", confirm="yes").status_code == 303
    )
    gone = client.post("/api/v1/orders", json=SEED_ORDER, headers=till)
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "unauthorized")

    assert _post(hq_desk, f"/console/terminals/{mine['id']}/enable").status_code == 303
    assert open_order(client, till, **SEED_ORDER)["status"] == "open"
    api = client.patch(f"{ADMIN_API}/terminals/{mine['id']}", headers=hq, json={"active": False})
    assert (api.status_code, api.json()["active"], api.json()["name"]) == (200, False, "前台一号机")
    assert {"terminal.update", "terminal.revoke", "terminal.enable"} <= set(
        _audit_actions(client, hq)
    )


def test_an_item_is_repriced_taken_off_and_put_back(
    client: Any, demo: dict[str, Any], hq_desk: TestClient
) -> None:
    edited = _post(
        hq_desk, "/console/items/BEER01/edit", name="朝日超爽黑生啤", unit="瓶", unit_price="19.50"
    )
    assert edited.status_code == 303, edited.text
    hq = demo_admin_headers(client, demo)
    [beer] = [
        i for i in client.get(f"{ADMIN_API}/items", headers=hq).json() if i["item_code"] == "BEER01"
    ]
    assert (beer["unit"], beer["unit_price_fen"]) == ("瓶", 1950)

    asked = _text(_post(hq_desk, "/console/items/BEER01/disable").text)
    assert "停售菜品「朝日超爽黑生啤」?" in asked
    assert _post(hq_desk, "/console/items/BEER01/disable", confirm="yes").status_code == 303
    assert "已停售" in _text(hq_desk.get("/console/items").text)
    assert _post(hq_desk, "/console/items/BEER01/enable").status_code == 303
    [beer] = [
        i for i in client.get(f"{ADMIN_API}/items", headers=hq).json() if i["item_code"] == "BEER01"
    ]
    assert beer["active"] is True


def test_a_store_manager_edits_their_store_and_tills_only(
    client: Any, demo: dict[str, Any], manager_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    own, other = stores["皇岗店"], stores["福田店"]
    tills = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    own_till = next(t["id"] for t in tills if t["store_id"] == own and t["active"])
    other_till = next(t["id"] for t in tills if t["store_id"] == other and t["active"])
    listings = client.get(f"{ADMIN_API}/listings", headers=hq).json()
    templates = {t["id"]: t for t in client.get(f"{ADMIN_API}/templates", headers=hq).json()}
    chain_listing = next(
        li["id"] for li in listings if not templates[li["template_id"]]["store_ids"]
    )

    hours = _post(
        manager_desk,
        f"/console/stores/{own}/edit",
        name="皇岗店",
        opening_hours="11:00-23:00",
    )
    assert hours.status_code == 303, hours.text
    saved = client.get(f"{ADMIN_API}/stores/{own}", headers=hq).json()
    assert saved["opening_hours"] == "11:00-23:00"
    assert saved["brand"]  # a field the form did not send stays as it was
    assert _post(manager_desk, f"/console/terminals/{own_till}/disable").status_code == 200

    refused = [
        _post(manager_desk, f"/console/stores/{own}/disable"),  # only HQ closes a store
        _post(manager_desk, f"/console/stores/{other}/edit", name="福田店"),
        _post(manager_desk, f"/console/terminals/{other_till}/disable", confirm="yes"),
        _post(manager_desk, f"/console/terminals/{other_till}/edit", name="x"),
        _post(manager_desk, "/console/items/BEER01/disable"),
        _post(manager_desk, f"/console/listings/{chain_listing}/disable", confirm="yes"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("没有权限执行此操作" in r.text for r in refused)
    assert manager_desk.get(f"/console/stores/{other}/edit").status_code == 403
    assert all(
        t["active"]
        for t in client.get(f"{ADMIN_API}/terminals", headers=hq).json()
        if t["id"] == other_till
    )
    assert all(s["active"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json())


def test_another_merchants_objects_are_not_found(
    client: Any, demo: dict[str, Any], other_desk: TestClient
) -> None:
    hq = demo_admin_headers(client, demo)
    store = client.get(f"{ADMIN_API}/stores", headers=hq).json()[0]["id"]
    till = client.get(f"{ADMIN_API}/terminals", headers=hq).json()[0]["id"]
    listing = client.get(f"{ADMIN_API}/listings", headers=hq).json()[0]["id"]
    template = client.get(f"{ADMIN_API}/templates", headers=hq).json()[0]["id"]
    attempts = [
        _post(other_desk, f"/console/stores/{store}/disable", confirm="yes"),
        _post(other_desk, f"/console/stores/{store}/edit", name="hijacked"),
        _post(other_desk, f"/console/terminals/{till}/disable", confirm="yes"),
        _post(other_desk, f"/console/terminals/{till}/edit", name="hijacked"),
        _post(other_desk, f"/console/listings/{listing}/disable"),
        _post(other_desk, f"/console/listings/{listing}/edit", title="hijacked"),
        _post(other_desk, f"/console/templates/{template}/disable", confirm="yes"),
        _post(other_desk, "/console/items/BEER01/disable", confirm="yes"),
        _post(other_desk, "/console/items/BEER01/edit", name="x", unit="份", unit_price="1"),
    ]
    assert [a.status_code for a in attempts] == [404] * len(attempts)
    assert other_desk.get(f"/console/listings/{listing}/edit").status_code == 404
    assert all(s["active"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json())
    assert all(li["active"] for li in client.get(f"{ADMIN_API}/listings", headers=hq).json())
    names = {t["name"] for t in client.get(f"{ADMIN_API}/terminals", headers=hq).json()}
    assert "hijacked" not in names
