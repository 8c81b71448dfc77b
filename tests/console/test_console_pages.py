"""The merchant console's pages through HTTP (no browser): login, CSRF, roles, field messages
and junk input. Runs on SQLite and PostgreSQL; the browser suite covers what a person sees."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import admin_headers, console_login, csrf_in

API = "/api/admin/v1"
JUNK = ["", "abc", "-1", "1e400", "NaN", "１２", "9" * 40, "19.999\x00<b>"]


def _login(client: Any, username: str = "admin", password: str = "hotpot-hq-demo") -> None:
    console_login(client, username, password)


def _csrf(client: Any, path: str = "/console") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_in(page.text)


def _field_message(html: str, field: str) -> str:
    match = re.search(rf'data-field="{field}">([^<]*)<', html)
    assert match, f"no message next to {field}"
    return match.group(1)


def test_pages_need_a_login_and_come_back_after_it(client: Any, demo: dict[str, Any]) -> None:
    response = client.get("/console/templates?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Ftemplates%3Fx%3D1"

    login = client.post(
        "/console/login",
        data={"username": "admin", "password": "hotpot-hq-demo", "next": "/console/templates?x=1"},
        follow_redirects=False,
    )
    assert login.headers["location"] == "/console/templates?x=1"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/console" in cookie
    assert "100元代金券" in client.get("/console/templates").text

    elsewhere = client.post(
        "/console/login",
        data={"username": "admin", "password": "hotpot-hq-demo", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/console"  # never an open redirect


def test_a_wrong_password_shows_the_catalogue_message_and_no_session(
    client: Any, demo: dict[str, Any]
) -> None:
    response = client.post("/console/login", data={"username": "admin", "password": "nope"})
    assert response.status_code == 401
    assert _field_message(response.text, "password") == "未登录或密钥无效"
    assert "set-cookie" not in response.headers
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: Any, demo: dict[str, Any]
) -> None:
    _login(client)
    body = {"item_code": "TEA01", "name": "菊花茶", "unit": "壶", "unit_price": "12.00"}
    refused = client.post("/console/items", data={**body, "csrf": "0" * 64})
    assert refused.status_code == 403
    assert "TEA01" not in client.get("/console/items").text

    accepted = client.post("/console/items", data={**body, "csrf": _csrf(client)})
    assert accepted.status_code == 200
    assert "TEA01" in accepted.text
    assert "12.00" in accepted.text


def test_logout_ends_the_session(client: Any, demo: dict[str, Any]) -> None:
    _login(client)
    token = client.cookies.get("vb_console")
    out = client.post("/console/logout", data={"csrf": _csrf(client)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("vb_console", token, path="/console")
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_store_manager_sees_only_their_store_and_gets_403_for_another(
    client: Any, demo: dict[str, Any]
) -> None:
    _login(client, "huanggang", "store-lead-demo")
    stores = client.get("/console/stores").text
    assert "皇岗店" in stores
    assert "福田店" not in stores
    assert "福田店" not in client.get("/console/bindings").text

    other = client.get("/console/stores/2")
    assert other.status_code == 403
    assert "没有权限执行此操作" in other.text
    assert client.get("/console/outbox").status_code == 403
    assert client.get("/console/stores/999").status_code == 404
    assert client.get("/console/templates/999/edit").status_code == 404

    csrf = _csrf(client)
    foreign_till = client.post(
        "/console/terminals", data={"csrf": csrf, "store_id": "2", "name": "偷偷加的"}
    )
    assert foreign_till.status_code == 403  # the form comes back, with the API's answer
    assert _field_message(foreign_till.text, "form") == "没有权限执行此操作"


def test_template_money_is_typed_in_yuan_and_errors_sit_next_to_the_field(
    client: Any, demo: dict[str, Any]
) -> None:
    _login(client)
    csrf = _csrf(client)
    form = {
        "csrf": csrf,
        "name": "19.9元代金券",
        "kind": "cash",
        "face_value": "abc",
        "price": "9.90",
        "validity_mode": "relative",
        "valid_days": "30",
        "per_order_limit": "2",
        "stackable": "on",
        "active": "on",
        "weekdays": ["1", "2", "3"],
        "window_start": ["11:00", ""],
        "window_end": ["14:00", ""],
    }
    refused = client.post("/console/templates/new", data=form)
    assert refused.status_code == 400
    assert _field_message(refused.text, "face_value_fen") == "请求内容有误: 面值(元)"
    assert 'value="19.9元代金券"' in refused.text  # the user's input comes back
    english = client.post("/console/templates/new?lang=en", data=form)
    assert _field_message(english.text, "face_value_fen") == "Invalid request: Face value (yuan)"

    saved = client.post("/console/templates/new", data={**form, "face_value": "19.90"})
    assert saved.status_code == 200, saved.text
    admin = admin_headers(client, "admin", "hotpot-hq-demo")
    [created] = [
        t
        for t in client.get(f"{API}/templates", headers=admin).json()
        if t["name"] == "19.9元代金券"
    ]
    assert (created["face_value_fen"], created["price_fen"]) == (1990, 990)
    assert created["weekdays"] == [1, 2, 3]
    assert created["time_windows"] == [{"start": "11:00", "end": "14:00"}]
    assert (created["per_order_limit"], created["valid_days"]) == (2, 30)

    item_without_item = client.post(
        "/console/templates/new", data={**form, "face_value": "19.90", "kind": "item"}
    )
    assert item_without_item.status_code == 400
    assert "item_codes" in item_without_item.text


def test_junk_in_any_form_field_gives_a_page_never_a_500(client: Any, demo: dict[str, Any]) -> None:
    _login(client)
    csrf = _csrf(client)
    forms = {
        "/console/stores": {"name": "x", "brand": "", "address": ""},
        "/console/items": {"item_code": "J1", "name": "x", "unit": "份", "unit_price": "1"},
        "/console/terminals": {"store_id": "1", "name": "x"},
        "/console/listings": {"template_id": "1", "platform": "weimall", "title": "x"},
        "/console/templates/new": {
            "name": "x",
            "kind": "cash",
            "face_value": "1",
            "price": "1",
            "validity_mode": "fixed",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "per_order_limit": "1",
            "weekdays": "1",
            "window_start": "10:00",
            "window_end": "11:00",
        },
        "/console/bindings": {"store_id": "1", "platform": "nowhere", "platform_store_id": "x"},
    }
    for path, base in forms.items():
        for field in base:
            for junk in JUNK:
                response = client.post(path, data={**base, field: junk, "csrf": csrf})
                assert response.status_code < 500, (path, field, junk, response.text[:300])
                assert "<html" in response.text
    for path in ("/console/stores/abc", "/console/stores/0", "/console/templates/9" + "9" * 30):
        assert client.get(path).status_code == 404
    assert client.get("/console/codes", params={"q": "x" * 500}).status_code == 404
    assert client.get("/console/codes", params={"q": "J\x00"}).status_code == 400
    client.cookies.clear()
    nul = client.post("/console/login", data={"username": "admin\x00", "password": "x\x00"})
    assert nul.status_code == 401


def test_a_new_terminal_key_is_shown_once(client: Any, demo: dict[str, Any]) -> None:
    _login(client)
    issued = client.post(
        "/console/terminals", data={"csrf": _csrf(client), "store_id": "1", "name": "二楼收银台"}
    )
    assert issued.status_code == 200
    key = re.search(r"<code class=\"key\" data-key>(vbt_[^<]+)</code>", issued.text)
    assert key, issued.text
    again = client.get("/console/terminals").text
    assert key.group(1) not in again
    assert "二楼收银台" in again


def test_the_english_switch_sticks_across_pages(client: Any, demo: dict[str, Any]) -> None:
    _login(client)
    english = client.get("/console/stores?lang=en").text
    assert "<h1>Stores</h1>" in english
    assert "Item catalogue" in client.get("/console").text
    assert "<h1>概览</h1>" in client.get("/console?lang=zh").text
    for path in ("/console/outbox", "/console/codes?q=", "/console/bindings", "/console/listings"):
        assert client.get(path).status_code == 200, path


def test_a_template_edit_shows_yuan_and_saves_the_change(client: Any, demo: dict[str, Any]) -> None:
    _login(client)
    form = client.get("/console/templates/1/edit").text
    assert 'name="face_value" inputmode="decimal" required value="100.00"' in form
    csrf = _csrf(client)
    saved = client.post(
        "/console/templates/1/edit",
        data={
            "csrf": csrf,
            "name": "100元代金券",
            "kind": "cash",
            "face_value": "100.00",
            "price": "58.80",
            "validity_mode": "fixed",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "per_order_limit": "1",
            "active": "on",
        },
    )
    assert saved.status_code == 200, saved.text
    hq = admin_headers(client, "admin", "hotpot-hq-demo")
    template = client.get(f"{API}/templates/1", headers=hq).json()
    assert (template["price_fen"], template["validity_mode"]) == (5880, "fixed")
    assert (template["valid_from"], template["valid_to"]) == ("2026-01-01", "2026-12-31")
    assert template["stackable"] is False  # an unticked box is a rule too


# The outbox page's retry is tested through the simulators:
# tests/platforms/flows/test_outbox_page.py


def test_a_console_login_posted_from_another_site_is_refused(
    client: Any, demo: dict[str, Any]
) -> None:
    forged = client.post(
        "/console/login",
        data={"username": "admin", "password": "hotpot-hq-demo"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code in (401, 403)
    assert "vb_console" not in client.cookies


def test_the_overview_tiles_print_numbers(client: Any, demo: dict[str, Any]) -> None:
    """Each tile is a count a person reads (the items tile once printed a Python repr)."""
    _login(client)
    html = client.get("/console").text
    assert "built-in method" not in html
    tiles = re.findall(r'data-count="(\w+)">([^<]*)<', html)
    assert tiles, html
    assert all(value.strip().isdigit() for _, value in tiles), tiles
    assert dict(tiles)["items"] == str(len(demo["items"]))
