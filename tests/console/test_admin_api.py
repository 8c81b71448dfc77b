"""The admin API (/api/admin/v1) through HTTP: sessions, stores, items, terminals, users,
templates, listings, codes; roles, tenancy and error bodies. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.factories import FakeClock, make_merchant
from tests.helpers import admin_headers, demo_admin_headers
from voucherbridge.bootstrap import Container
from voucherbridge.chain import sign_in
from voucherbridge.chain.repository import UserRepo
from voucherbridge.chain.sign_in import hash_password
from voucherbridge.db import tables as t

API = "/api/admin/v1"
EN = {"Accept-Language": "en"}
Headers = dict[str, str]


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The catalogue shape, the expected status and code; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return dict(body["error"])


def _audit_actions(container: Container) -> list[str]:
    with container.engine.connect() as conn:
        return list(conn.execute(select(t.audit_log.c.action).order_by(t.audit_log.c.id)).scalars())


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2, with the smallest cost: logins are what these tests do most."""
    monkeypatch.setattr(
        sign_in, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def hq(client: Any, demo: dict[str, Any]) -> Headers:
    return demo_admin_headers(client, demo)


@pytest.fixture
def manager(client: Any, demo: dict[str, Any]) -> Headers:
    return demo_admin_headers(client, demo, "store_manager")


@pytest.fixture
def store_ids(client: Any, hq: Headers) -> dict[str, int]:
    return {s["name"]: s["id"] for s in client.get(f"{API}/stores", headers=hq).json()}


@pytest.fixture
def other_hq(client: Any, container: Container) -> Headers:
    """The HQ admin of a second merchant (别家烧烤)."""
    other = make_merchant(container)
    with container.uow(write=True) as uow:
        uow.repo(UserRepo).add(
            other.merchant_id,
            username="other-admin",
            display_name="",
            password_hash=hash_password("other-secret"),
            role="hq_admin",
            store_ids=[],
            now=container.clock(),
        )
        uow.commit()
    return admin_headers(client, "other-admin", "other-secret")


# --- sessions ----------------------------------------------------------------------------


def test_login_gives_a_token_and_wrong_passwords_get_one_answer(client: Any, demo: dict[str, Any]):
    response = client.post(f"{API}/login", json={"username": "admin", "password": "hotpot-hq-demo"})
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("vba_")
    assert body["expires_at"].endswith("+08:00")
    assert body["user"] == {**body["user"], "username": "admin", "role": "hq_admin"}
    assert body["user"]["store_ids"] is None

    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["merchant"]["name"] == "右姑娘火锅"
    assert "password_hash" not in me.text

    wrong = client.post(f"{API}/login", json={"username": "admin", "password": "admin124"})
    unknown = client.post(f"{API}/login", json={"username": "nobody", "password": "hotpot-hq-demo"})
    assert _error(wrong, 401, "unauthorized") == _error(unknown, 401, "unauthorized")
    assert wrong.json()["error"]["message"] == "未登录或密钥无效"

    for headers in (
        {},
        {"Authorization": "Bearer vba_forged"},
        {"Authorization": "hotpot-hq-demo"},
    ):
        _error(client.get(f"{API}/me", headers=headers), 401, "unauthorized")
    # A terminal key is not a console token.
    terminal = {"Authorization": f"Bearer {demo['terminal_key']}"}
    _error(client.get(f"{API}/stores", headers=terminal), 401, "unauthorized")


def test_expired_token_is_refused(client: Any, container: Container, demo: dict[str, Any]):
    clock = FakeClock()
    container.clock = clock
    hq = admin_headers(client, "admin", "hotpot-hq-demo")
    assert client.get(f"{API}/me", headers=hq).status_code == 200
    clock.advance(hours=container.settings.admin_token_ttl_hours, seconds=1)
    _error(client.get(f"{API}/me", headers=hq), 401, "unauthorized")


# --- stores and items --------------------------------------------------------------------


def test_hq_creates_and_edits_a_store(client: Any, hq: Headers, container: Container):
    created = client.post(
        f"{API}/stores",
        json={"name": "南山店", "brand": "右姑娘火锅", "address": "南山区"},
        headers=hq,
    )
    assert created.status_code == 201, created.text
    store = created.json()
    assert store == {
        **store,
        "name": "南山店",
        "active": True,
        "printed_title": "右姑娘火锅(南山店)",
    }

    assert client.get(f"{API}/stores/{store['id']}", headers=hq).json() == store
    assert store["id"] in {s["id"] for s in client.get(f"{API}/stores", headers=hq).json()}

    patched = client.patch(
        f"{API}/stores/{store['id']}", json={"receipt_title": "右姑娘(南山)"}, headers=hq
    )
    assert patched.status_code == 200
    assert patched.json()["printed_title"] == "右姑娘(南山)"

    duplicate = client.post(f"{API}/stores", json={"name": "南山店"}, headers=hq)
    assert _error(duplicate, 409, "conflict")["message"] == "门店已存在"
    _error(
        client.patch(f"{API}/stores/{store['id']}", json={"name": None}, headers=hq),
        422,
        "validation_error",
    )
    _error(client.get(f"{API}/stores/999999", headers=hq), 404, "not_found")
    assert {"store.create", "store.update"} <= set(_audit_actions(container))


def test_items_catalogue_and_duplicate_item_code(client: Any, hq: Headers, container: Container):
    listed = client.get(f"{API}/items", headers=hq).json()
    assert "BEER01" in {i["item_code"] for i in listed}

    created = client.post(
        f"{API}/items",
        json={"item_code": "TEA01", "name": "菊花茶", "unit": "壶", "unit_price_fen": 1200},
        headers=hq,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {**created.json(), "item_code": "TEA01", "unit_price_fen": 1200}

    again = client.post(
        f"{API}/items",
        json={"item_code": "TEA01", "name": "别的茶", "unit_price_fen": 1},
        headers=hq,
    )
    assert _error(again, 409, "conflict")["message"] == "菜品已存在"
    again_en = client.post(
        f"{API}/items",
        json={"item_code": "TEA01", "name": "别的茶", "unit_price_fen": 1},
        headers={**hq, **EN},
    )
    assert _error(again_en, 409, "conflict")["message"] == "Item already exists"

    patched = client.patch(f"{API}/items/TEA01", json={"unit_price_fen": 1500}, headers=hq)
    assert patched.status_code == 200
    assert patched.json()["unit_price_fen"] == 1500
    _error(client.patch(f"{API}/items/NOPE", json={"name": "x"}, headers=hq), 404, "not_found")
    assert {"item.create", "item.update"} <= set(_audit_actions(container))


def test_money_must_be_whole_non_negative_fen(client: Any, hq: Headers):
    for price in (19.9, -1, "1200", True, 10**12, None):
        response = client.post(
            f"{API}/items",
            json={"item_code": "BAD01", "name": "坏价格", "unit_price_fen": price},
            headers=hq,
        )
        error = _error(response, 422, "validation_error")
        assert "unit_price_fen" in error["message"], price
        _error(
            client.patch(f"{API}/items/BEER01", json={"unit_price_fen": price}, headers=hq),
            422,
            "validation_error",
        )
        template = {
            "kind": "cash",
            "name": "坏券",
            "face_value_fen": price,
            "price_fen": 100,
            "validity_mode": "relative",
            "valid_days": 30,
        }
        _error(client.post(f"{API}/templates", json=template, headers=hq), 422, "validation_error")
    assert client.get(f"{API}/items", headers=hq).json()[0]["unit_price_fen"] == 1800


def test_bad_requests_are_422_in_both_languages(client: Any, hq: Headers):
    unknown_field = client.post(
        f"{API}/stores", json={"name": "x", "colour": "red"}, headers={**hq, **EN}
    )
    assert _error(unknown_field, 422, "validation_error")["message"].startswith("Invalid request")
    # An edit names its fields too: a typo is refused before any change is made.
    store = client.get(f"{API}/stores", headers=hq).json()[0]["id"]
    me = client.get(f"{API}/me", headers=hq).json()["id"]
    for path in (f"{API}/stores/{store}", f"{API}/users/{me}"):
        typo = client.patch(path, json={"colour": "red"}, headers={**hq, **EN})
        assert _error(typo, 422, "validation_error")["message"].startswith("Invalid request")
    not_json = client.post(
        f"{API}/stores", content=b"{", headers={**hq, "Content-Type": "application/json"}
    )
    assert _error(not_json, 422, "validation_error")["message"].startswith("请求内容有误")
    _error(client.get(f"{API}/stores/abc", headers=hq), 422, "validation_error")
    _error(client.get(f"{API}/nowhere", headers=hq), 404, "not_found")


# --- terminals ---------------------------------------------------------------------------


def test_terminal_key_is_shown_once_works_and_dies_on_revoke(
    client: Any, hq: Headers, store_ids: dict[str, int], container: Container
):
    issued = client.post(
        f"{API}/terminals", json={"store_id": store_ids["福田店"], "name": "前台2"}, headers=hq
    )
    assert issued.status_code == 201, issued.text
    terminal = issued.json()
    key = terminal["key"]
    assert key.startswith("vbt_")
    assert terminal == {**terminal, "key_prefix": key[:8], "active": True, "revoked_at": None}
    assert "+08:00" in terminal["created_at"]

    listing = client.get(f"{API}/terminals", headers=hq)
    assert listing.status_code == 200
    assert key not in listing.text
    assert all(set(row) == set(terminal) - {"key"} for row in listing.json())
    assert terminal["id"] in {row["id"] for row in listing.json()}

    till = {"Authorization": f"Bearer {key}"}
    _error(client.get("/api/v1/orders/1", headers=till), 404, "order_not_found")

    revoked = client.post(f"{API}/terminals/{terminal['id']}/revoke", headers=hq)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    _error(client.get("/api/v1/orders/1", headers=till), 401, "unauthorized")
    assert client.post(f"{API}/terminals/{terminal['id']}/revoke", headers=hq).status_code == 200

    _error(client.post(f"{API}/terminals/999999/revoke", headers=hq), 404, "not_found")
    _error(
        client.post(f"{API}/terminals", json={"store_id": 999999, "name": "x"}, headers=hq),
        404,
        "not_found",
    )
    with container.engine.connect() as conn:
        audit = conn.execute(select(t.audit_log)).all()
    assert {"terminal.issue", "terminal.revoke"} <= {row.action for row in audit}
    assert key not in repr(audit)


# --- store managers ----------------------------------------------------------------------


def test_store_manager_is_confined_to_their_store(
    client: Any, manager: Headers, store_ids: dict[str, int]
):
    own, other = store_ids["皇岗店"], store_ids["福田店"]
    visible = client.get(f"{API}/stores", headers=manager).json()
    assert [s["id"] for s in visible] == [own]
    _error(client.get(f"{API}/stores/{other}", headers=manager), 403, "forbidden")
    denied = client.post(
        f"{API}/terminals", json={"store_id": other, "name": "偷偷加的"}, headers=manager
    )
    assert _error(denied, 403, "forbidden")["message"] == "没有权限执行此操作"
    denied_en = client.post(
        f"{API}/terminals", json={"store_id": other, "name": "x"}, headers={**manager, **EN}
    )
    assert _error(denied_en, 403, "forbidden")["message"] == "You are not allowed to do this"

    mine = client.post(f"{API}/terminals", json={"store_id": own, "name": "吧台"}, headers=manager)
    assert mine.status_code == 201
    assert {t["store_id"] for t in client.get(f"{API}/terminals", headers=manager).json()} == {own}

    item = {"item_code": "MGR01", "name": "店长菜", "unit_price_fen": 100}
    _error(client.post(f"{API}/items", json=item, headers=manager), 403, "forbidden")
    assert client.get(f"{API}/items", headers=manager).status_code == 200
    _error(client.post(f"{API}/stores", json={"name": "新店"}, headers=manager), 403, "forbidden")
    _error(client.get(f"{API}/users", headers=manager), 403, "forbidden")

    renamed = client.patch(f"{API}/stores/{own}", json={"address": "皇岗路1号"}, headers=manager)
    assert renamed.status_code == 200
    _error(
        client.patch(f"{API}/stores/{own}", json={"active": False}, headers=manager),
        403,
        "forbidden",
    )
    _error(
        client.patch(f"{API}/stores/{other}", json={"address": "x"}, headers=manager),
        403,
        "forbidden",
    )


# --- tenancy -----------------------------------------------------------------------------


def test_another_merchant_sees_nothing_of_ours(
    client: Any, hq: Headers, other_hq: Headers, store_ids: dict[str, int], demo: dict[str, Any]
):
    store = store_ids["皇岗店"]
    terminal = client.get(f"{API}/terminals", headers=hq).json()[0]["id"]
    template = client.get(f"{API}/templates", headers=hq).json()[0]["id"]
    listing = client.get(f"{API}/listings", headers=hq).json()[0]["id"]
    users = client.get(f"{API}/users", headers=hq).json()

    assert [s["name"] for s in client.get(f"{API}/stores", headers=other_hq).json()] == ["一号店"]
    assert client.get(f"{API}/templates", headers=other_hq).json() == []
    assert client.get(f"{API}/items", headers=other_hq).json() == []
    assert {u["username"] for u in client.get(f"{API}/users", headers=other_hq).json()} == {
        "other-admin"
    }
    error = _error(client.get(f"{API}/stores/{store}", headers=other_hq), 404, "not_found")
    assert error["message"] == "门店不存在"
    _error(
        client.patch(f"{API}/stores/{store}", json={"name": "抢"}, headers=other_hq),
        404,
        "not_found",
    )
    _error(
        client.post(f"{API}/terminals", json={"store_id": store, "name": "x"}, headers=other_hq),
        404,
        "not_found",
    )
    _error(client.post(f"{API}/terminals/{terminal}/revoke", headers=other_hq), 404, "not_found")
    _error(client.get(f"{API}/templates/{template}", headers=other_hq), 404, "not_found")
    _error(client.get(f"{API}/listings/{listing}", headers=other_hq), 404, "not_found")
    _error(
        client.post(f"{API}/listings/{listing}/codes", json={"quantity": 1}, headers=other_hq),
        404,
        "not_found",
    )
    _error(
        client.get(f"{API}/codes/{demo['codes']['cash'][0]}", headers=other_hq),
        404,
        "voucher_not_found",
    )
    _error(
        client.patch(f"{API}/items/BEER01", json={"name": "x"}, headers=other_hq), 404, "not_found"
    )
    _error(
        client.patch(f"{API}/users/{users[0]['id']}", json={"active": False}, headers=other_hq),
        404,
        "not_found",
    )
    english = client.get(f"{API}/stores/{store}", headers={**other_hq, **EN})
    assert _error(english, 404, "not_found")["message"] == "Store not found"
    # Our terminal still works: the failed revoke changed nothing.
    till = {"Authorization": f"Bearer {demo['terminal_key']}"}
    _error(client.get("/api/v1/orders/1", headers=till), 404, "order_not_found")


# --- users -------------------------------------------------------------------------------


def test_hq_manages_users_and_sessions_follow(
    client: Any, hq: Headers, store_ids: dict[str, int], container: Container
):
    futian = store_ids["福田店"]
    no_store = {"username": "futian", "password": "futian-pass-2026", "role": "store_manager"}
    _error(client.post(f"{API}/users", json=no_store, headers=hq), 422, "validation_error")
    short = {**no_store, "store_ids": [futian], "password": "short"}
    _error(client.post(f"{API}/users", json=short, headers=hq), 422, "validation_error")
    _error(
        client.post(
            f"{API}/users", json={**no_store, "role": "root", "store_ids": [futian]}, headers=hq
        ),
        422,
        "validation_error",
    )
    _error(
        client.post(f"{API}/users", json={**no_store, "store_ids": [999999]}, headers=hq),
        404,
        "not_found",
    )

    created = client.post(f"{API}/users", json={**no_store, "store_ids": [futian]}, headers=hq)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user == {**user, "role": "store_manager", "store_ids": [futian], "active": True}
    assert "password" not in created.text

    duplicate = client.post(f"{API}/users", json={**no_store, "store_ids": [futian]}, headers=hq)
    assert _error(duplicate, 409, "conflict")["message"] == "用户已存在"
    assert "futian" in {u["username"] for u in client.get(f"{API}/users", headers=hq).json()}

    session = admin_headers(client, "futian", "futian-pass-2026")
    assert [s["id"] for s in client.get(f"{API}/stores", headers=session).json()] == [futian]

    reset = client.patch(f"{API}/users/{user['id']}", json={"password": "new-pass-123"}, headers=hq)
    assert reset.status_code == 200
    _error(client.get(f"{API}/me", headers=session), 401, "unauthorized")
    session = admin_headers(client, "futian", "new-pass-123")

    off = client.patch(f"{API}/users/{user['id']}", json={"active": False}, headers=hq)
    assert off.json()["active"] is False
    _error(client.get(f"{API}/me", headers=session), 401, "unauthorized")
    refused = client.post(f"{API}/login", json={"username": "futian", "password": "new-pass-123"})
    _error(refused, 401, "unauthorized")

    me = client.get(f"{API}/me", headers=hq).json()
    _error(
        client.patch(f"{API}/users/{me['id']}", json={"active": False}, headers=hq),
        422,
        "validation_error",
    )
    _error(client.patch(f"{API}/users/999999", json={"active": True}, headers=hq), 404, "not_found")
    actions = _audit_actions(container)
    assert {"user.create", "user.update"} <= set(actions)


def test_cashier_accounts_cannot_change_anything(
    client: Any, hq: Headers, store_ids: dict[str, int]
):
    own = store_ids["皇岗店"]
    body = {
        "username": "cashier1",
        "password": "cashier-pass-1",
        "role": "cashier",
        "store_ids": [own],
    }
    assert client.post(f"{API}/users", json=body, headers=hq).status_code == 201
    cashier = admin_headers(client, "cashier1", "cashier-pass-1")
    assert client.get(f"{API}/stores", headers=cashier).status_code == 200
    _error(
        client.post(f"{API}/terminals", json={"store_id": own, "name": "x"}, headers=cashier),
        403,
        "forbidden",
    )
    _error(
        client.patch(f"{API}/stores/{own}", json={"address": "x"}, headers=cashier),
        403,
        "forbidden",
    )


# --- templates, listings, codes ----------------------------------------------------------

TEMPLATES: dict[str, dict[str, Any]] = {
    "cash": {"kind": "cash", "name": "50元代金券", "face_value_fen": 5000, "price_fen": 3000},
    "item": {
        "kind": "item",
        "name": "王老吉实物券",
        "face_value_fen": 4800,
        "price_fen": 3000,
        "item_codes": ["WLJ01"],
    },
    "deduction": {
        "kind": "deduction",
        "name": "啤酒抵扣券",
        "face_value_fen": 1000,
        "price_fen": 500,
        "item_codes": ["BEER01"],
        "weekdays": [1, 2, 3, 4, 5],
        "time_windows": [{"start": "11:00", "end": "14:00"}],
    },
    "combo": {
        "kind": "combo",
        "name": "单人套餐",
        "face_value_fen": 24700,
        "price_fen": 16800,
        "package_price_fen": 16800,
        "item_codes": ["SOUP01", "WLJ01"],
        "min_spend_fen": 0,
        "per_order_limit": 2,
        "stackable": False,
    },
}


def test_templates_of_every_kind(client: Any, hq: Headers, store_ids: dict[str, int]):
    for kind, spec in TEMPLATES.items():
        body = {**spec, "validity_mode": "relative", "valid_days": 30}
        response = client.post(f"{API}/templates", json=body, headers=hq)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created == {**created, **body}
        assert created["kind"] == kind
        assert client.get(f"{API}/templates/{created['id']}", headers=hq).json() == created

    fixed = {
        **TEMPLATES["cash"],
        "name": "国庆代金券",
        "validity_mode": "fixed",
        "valid_from": "2026-10-01",
        "valid_to": "2026-10-07",
        "store_ids": [store_ids["福田店"]],
    }
    response = client.post(f"{API}/templates", json=fixed, headers=hq)
    assert response.status_code == 201, response.text
    template_id = response.json()["id"]
    patched = client.patch(
        f"{API}/templates/{template_id}", json={"valid_to": "2026-10-08"}, headers=hq
    )
    assert patched.status_code == 200
    assert patched.json()["valid_to"] == "2026-10-08"

    bad_dates = {**fixed, "valid_to": "2026-02-30"}
    _error(client.post(f"{API}/templates", json=bad_dates, headers=hq), 422, "validation_error")
    unknown_item = {
        **TEMPLATES["item"],
        "item_codes": ["NOPE"],
        "validity_mode": "relative",
        "valid_days": 30,
    }
    _error(client.post(f"{API}/templates", json=unknown_item, headers=hq), 422, "validation_error")
    _error(client.get(f"{API}/templates/999999", headers=hq), 404, "not_found")


def test_listing_batch_issue_replay_code_type_lock_and_archive(
    client: Any, hq: Headers, container: Container
):
    spec = {**TEMPLATES["cash"], "validity_mode": "relative", "valid_days": 30}
    template = client.post(f"{API}/templates", json=spec, headers=hq).json()
    created = client.post(
        f"{API}/listings",
        json={
            "template_id": template["id"],
            "platform": "weimall",
            "code_type": "merchant",
            "title": "30代50元票券抢购",
        },
        headers=hq,
    )
    assert created.status_code == 201, created.text
    listing = created.json()
    assert listing["public_id"].isdigit()
    assert client.get(f"{API}/listings/{listing['id']}", headers=hq).json() == listing

    batch = {"quantity": 5, "reference": "batch-2026-01"}
    first = client.post(f"{API}/listings/{listing['id']}/codes", json=batch, headers=hq)
    assert first.status_code == 201, first.text
    codes = first.json()["codes"]
    assert len(codes) == len(set(codes)) == 5
    assert all(code.startswith("J") for code in codes)

    replay = client.post(f"{API}/listings/{listing['id']}/codes", json=batch, headers=hq)
    assert replay.status_code == 200
    assert replay.json()["codes"] == codes
    assert replay.json()["created"] is False

    for quantity in (0, 1001, 2.5, "5"):
        _error(
            client.post(
                f"{API}/listings/{listing['id']}/codes", json={"quantity": quantity}, headers=hq
            ),
            422,
            "validation_error",
        )

    locked = client.patch(
        f"{API}/listings/{listing['id']}", json={"code_type": "platform"}, headers=hq
    )
    assert _error(locked, 409, "code_type_immutable")["message"].startswith("券码类型不可以更改")
    locked_en = client.patch(
        f"{API}/listings/{listing['id']}", json={"code_type": "platform"}, headers={**hq, **EN}
    )
    assert "new listing" in _error(locked_en, 409, "code_type_immutable")["message"]
    retitled = client.patch(f"{API}/listings/{listing['id']}", json={"title": "新标题"}, headers=hq)
    assert retitled.status_code == 200
    assert retitled.json()["code_type"] == "merchant"

    archive = client.get(f"{API}/codes/{codes[0]}", headers=hq)
    assert archive.status_code == 200
    body = archive.json()
    assert body == {**body, "code": codes[0], "status": "issued", "platform": "weimall"}
    assert body["listing_id"] == listing["id"]
    assert [e["event"] for e in body["events"]] == ["issued"]
    assert body["events"][0]["at"].endswith("+08:00")
    _error(client.get(f"{API}/codes/J0000000000000", headers=hq), 404, "voucher_not_found")
    assert {"template.create", "listing.create", "codes.issue"} <= set(_audit_actions(container))


def test_fresh_listing_may_still_change_code_type(client: Any, hq: Headers):
    spec = {**TEMPLATES["cash"], "validity_mode": "relative", "valid_days": 30}
    template = client.post(f"{API}/templates", json=spec, headers=hq).json()
    listing = client.post(
        f"{API}/listings",
        json={"template_id": template["id"], "platform": "douyin", "title": "抖音团购"},
        headers=hq,
    ).json()
    assert listing["code_type"] == "merchant"
    changed = client.patch(
        f"{API}/listings/{listing['id']}", json={"code_type": "platform"}, headers=hq
    )
    assert changed.status_code == 200
    assert changed.json()["code_type"] == "platform"
    _error(
        client.post(
            f"{API}/listings",
            json={"template_id": 999999, "platform": "douyin", "title": "x"},
            headers=hq,
        ),
        404,
        "not_found",
    )


def test_catalogue_requests_refuse_unknown_fields(client: Any, hq: Headers, container: Container):
    """The request models fix the field set: a typo is refused before the service runs."""
    spec = {**TEMPLATES["cash"], "validity_mode": "relative", "valid_days": 30}
    template = client.post(f"{API}/templates", json=spec, headers=hq).json()
    listing = client.post(
        f"{API}/listings",
        json={"template_id": template["id"], "platform": "douyin", "title": "抖音团购"},
        headers=hq,
    ).json()
    actions = _audit_actions(container)
    for method, path, body in (
        ("patch", f"{API}/items/BEER01", {"colour": "red"}),
        ("patch", f"{API}/templates/{template['id']}", {"name": "x", "colour": "red"}),
        ("patch", f"{API}/listings/{listing['id']}", {"colour": "red"}),
        ("post", f"{API}/templates", {**spec, "colour": "red"}),
        (
            "post",
            f"{API}/listings",
            {"template_id": template["id"], "platform": "douyin", "title": "x", "colour": "red"},
        ),
    ):
        typo = getattr(client, method)(path, json=body, headers={**hq, **EN})
        error = _error(typo, 422, "validation_error")
        assert error["message"].startswith("Invalid request"), path
        assert error["details"]["field"] == "colour", path
    assert _audit_actions(container) == actions
    assert client.get(f"{API}/templates/{template['id']}", headers=hq).json() == template


def test_template_dates_outside_the_calendar_are_a_clear_422_and_nothing_is_written(
    client: Any, hq: Headers, container: Container
):
    """Templates valid 9999-12-30..31 or 0001-01-01..02 crashed code issuing (OverflowError)."""
    before = client.get(f"{API}/templates", headers=hq).json()
    for valid_from, valid_to, field in (
        ("9999-12-30", "9999-12-31", "valid_from"),
        ("0001-01-01", "0001-01-02", "valid_from"),
        ("2026-10-01", "2100-01-01", "valid_to"),
    ):
        body = {
            **TEMPLATES["cash"],
            "validity_mode": "fixed",
            "valid_from": valid_from,
            "valid_to": valid_to,
        }
        refused = client.post(f"{API}/templates", json=body, headers=hq)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "validation_error"
        assert refused.json()["error"]["message"] == f"请求内容有误: {field}"
    fixed = {
        **TEMPLATES["cash"],
        "validity_mode": "fixed",
        "valid_from": "2026-10-01",
        "valid_to": "2026-10-07",
    }
    template = client.post(f"{API}/templates", json=fixed, headers=hq).json()
    stretched = client.patch(
        f"{API}/templates/{template['id']}", json={"valid_to": "9999-12-31"}, headers=hq
    )
    assert stretched.status_code == 422
    assert stretched.json()["error"]["message"] == "请求内容有误: valid_to"
    assert client.get(f"{API}/templates/{template['id']}", headers=hq).json() == template
    after = client.get(f"{API}/templates", headers=hq).json()
    assert len(after) == len(before) + 1
