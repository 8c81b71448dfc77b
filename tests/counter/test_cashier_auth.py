"""Signing in to the cashier page: the till's key rides in an HttpOnly cookie that the Terminal
API accepts only together with the page's CSRF token."""

from __future__ import annotations

from typing import Any

from tests.helpers import SEED_ORDER, demo_admin_headers
from voucherbridge.core import csrf

ADMIN = "/api/admin/v1"


def _sign_in_with_key(client: Any, key: str) -> None:
    response = client.post("/cashier/login", data={"key": key}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/cashier"
    cookie = response.headers["set-cookie"]
    assert "vb_cashier=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie


def _token(client: Any, container: Any) -> str:
    return csrf.token_for(container.settings.secret_key, client.cookies["vb_cashier"])


def _cashier_user(client: Any, demo: dict[str, Any]) -> dict[str, Any]:
    admin = demo_admin_headers(client, demo)
    store_id = next(s["id"] for s in client.get(f"{ADMIN}/stores", headers=admin).json())
    created = client.post(
        f"{ADMIN}/users",
        headers=admin,
        json={
            "username": "xiaoli",
            "password": "cashier-pass-1",
            "role": "cashier",
            "store_ids": [store_id],
        },
    )
    assert created.status_code == 201, created.text
    client.cookies.clear()
    return {"admin": admin, "store_id": store_id}


def _web_terminals(client: Any, admin: dict[str, str]) -> list[dict[str, Any]]:
    listed = client.get(f"{ADMIN}/terminals", headers=admin).json()
    return [t for t in listed if t["name"] == "网页收银台 · xiaoli"]


def test_the_cookie_alone_opens_nothing_but_with_the_pages_token_the_till_works(
    client: Any, container: Any, demo: dict[str, Any]
) -> None:
    _sign_in_with_key(client, demo["terminal_key"])
    refused = client.post("/api/v1/orders", json=SEED_ORDER)
    assert refused.status_code == 401
    wrong = client.post("/api/v1/orders", json=SEED_ORDER, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 401

    token = _token(client, container)
    page = client.get("/cashier")
    assert page.status_code == 200
    assert token in page.text  # the page carries the token its script sends
    assert demo["terminal_key"] not in page.text  # the key itself never reaches the page

    opened = client.post("/api/v1/orders", json=SEED_ORDER, headers={"X-CSRF-Token": token})
    assert opened.status_code == 201, opened.text
    prepared = client.post(
        "/api/v1/vouchers/prepare",
        json={"code": demo["codes"]["cash"][0], "order_id": opened.json()["id"]},
        headers={"X-CSRF-Token": token},
    )
    assert prepared.status_code == 200, prepared.text
    assert prepared.json()["discount_fen"] == 10000

    # The page's confirm, sent twice with its one key per prepared code: one redemption.
    page_call = {"X-CSRF-Token": token, "Idempotency-Key": "scan-1"}
    body = {"code": demo["codes"]["cash"][0], "order_id": opened.json()["id"]}
    first = client.post("/api/v1/redemptions", json=body, headers=page_call)
    again = client.post("/api/v1/redemptions", json=body, headers=page_call)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    order = client.get(f"/api/v1/orders/{opened.json()['id']}", headers={"X-CSRF-Token": token})
    assert len(order.json()["vouchers"]) == 1


def test_a_bearer_key_still_decides_when_present(
    client: Any, container: Any, demo: dict[str, Any]
) -> None:
    _sign_in_with_key(client, demo["terminal_key"])
    headers = {"X-CSRF-Token": _token(client, container), "Authorization": "Bearer vbt_wrong"}
    assert client.post("/api/v1/orders", json=SEED_ORDER, headers=headers).status_code == 401


def test_a_cashier_login_gets_one_web_terminal_and_signing_in_again_revokes_the_old_key(
    client: Any, container: Any, demo: dict[str, Any]
) -> None:
    setup = _cashier_user(client, demo)
    form = {"username": "xiaoli", "password": "cashier-pass-1"}
    first = client.post("/cashier/login", data=form, follow_redirects=False)
    assert first.status_code == 303
    first_key = client.cookies["vb_cashier"]
    [terminal] = _web_terminals(client, setup["admin"])
    assert terminal["store_id"] == setup["store_id"]
    assert terminal["active"]

    client.cookies.clear()
    again = client.post("/cashier/login", data=form, follow_redirects=False)
    assert again.status_code == 303
    second_key = client.cookies["vb_cashier"]
    assert second_key != first_key
    live = [t for t in _web_terminals(client, setup["admin"]) if t["active"]]
    assert len(live) == 1

    old = client.post(
        "/api/v1/orders", json=SEED_ORDER, headers={"Authorization": f"Bearer {first_key}"}
    )
    assert old.status_code == 401
    new = client.post(
        "/api/v1/orders", json=SEED_ORDER, headers={"X-CSRF-Token": _token(client, container)}
    )
    assert new.status_code == 201


def test_a_revoked_key_in_the_cookie_sends_the_counter_back_to_login(
    client: Any, demo: dict[str, Any]
) -> None:
    setup = _cashier_user(client, demo)
    form = {"username": "xiaoli", "password": "cashier-pass-1"}
    client.post("/cashier/login", data=form, follow_redirects=False)
    [terminal] = _web_terminals(client, setup["admin"])
    revoked = client.post(f"{ADMIN}/terminals/{terminal['id']}/revoke", headers=setup["admin"])
    assert revoked.status_code == 200, revoked.text

    page = client.get("/cashier", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/cashier/login"
    assert client.get("/cashier/login").status_code == 200


def test_wrong_password_or_key_shows_the_catalogue_message_not_a_crash(
    client: Any, demo: dict[str, Any]
) -> None:
    _cashier_user(client, demo)
    wrong = client.post("/cashier/login", data={"username": "xiaoli", "password": "nope"})
    assert wrong.status_code == 400
    assert "未登录或密钥无效" in wrong.text
    assert "vb_cashier" not in client.cookies

    bad_key = client.post(
        "/cashier/login", data={"key": "vbt_not-a-key"}, headers={"Accept-Language": "en"}
    )
    assert bad_key.status_code == 400
    assert "Missing or invalid credentials" in bad_key.text

    hq = demo["console"]
    refused = client.post(
        "/cashier/login", data={"username": hq["user"], "password": hq["password"]}
    )
    assert refused.status_code == 403  # HQ has no store: a counter needs a till of one store
    assert "没有权限执行此操作" in refused.text


def test_signing_out_clears_the_cookie(client: Any, container: Any, demo: dict[str, Any]) -> None:
    _sign_in_with_key(client, demo["terminal_key"])
    token = _token(client, container)
    out = client.post("/cashier/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert "vb_cashier" not in client.cookies
    assert client.get("/cashier", follow_redirects=False).headers["location"] == "/cashier/login"


def test_a_sign_in_posted_from_another_site_is_refused(client: Any, demo: dict[str, Any]) -> None:
    # Login CSRF: a page elsewhere must not sign this counter into a till of its choosing.
    forged = client.post(
        "/cashier/login",
        data={"key": demo["terminal_key"]},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "vb_cashier" not in client.cookies
    own = client.post(
        "/cashier/login",
        data={"key": demo["terminal_key"]},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert own.status_code == 303
