"""Tenants and roles over every console and cashier page, on SQLite and PostgreSQL.

The pages are HTML over a session cookie on the same services as the admin API; this is their
matrix. Every page route must have a row in PAGES, so a new page without a tenancy decision
fails `test_every_page_route_has_a_matrix_entry`. Merchant B's HQ admin, signed in to the
console, calls each page with merchant A's objects: an object page answers 404, a form aimed at
A's objects is refused and changes nothing, a list shows none of A's words. A store manager is
refused another store's objects with 403; a till's cookie opens no console page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.security._tenancy import A_MARKERS, B_HQ, B_PASSWORD, LINE, binding_to
from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.platforms.purchases import purchase_in
from voucherbridge.web.consumer.session import COOKIE as CONSUMER_COOKIE
from voucherbridge.web.consumer.session import ConsumerSession, session_cookie

PAGE_PREFIXES = ("/console", "/cashier")
# Signing in and out act on the caller's own session; the cashier pages act on the till the
# session belongs to (no object ids in them) and are covered by test_cashier_auth.py.
OWN_SESSION = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
    ("GET", "/cashier/login"),
    ("POST", "/cashier/login"),
    ("GET", "/cashier"),
    ("POST", "/cashier/logout"),
    # the live alert streams the online payments of the till's own store (tests/selfpay)
    ("GET", "/cashier/live"),
    # Meituan's return to us acts on the authorization this user started: its sealed state
    # names the user and the merchant (tests/platforms/flows/test_meituan_authorization.py)
    ("GET", "/console/bindings/meituan/callback"),
}


@dataclass(frozen=True)
class Page:
    """How B calls a page with A's objects. `refused` True: an object page or a form aimed at
    A's objects, answered with a 4xx page; False: B's own list or creation, shown with none of
    A's words."""

    path: Callable[[dict[str, Any]], str]
    form: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    refused: bool = False


def _p(template: str) -> Callable[[dict[str, Any]], str]:
    return lambda w: template.format(**w)


TEMPLATE_FORM = {
    "name": "hijacked",
    "kind": "cash",
    "face_value": "100",
    "price": "60",
    "validity_mode": "relative",
    "valid_days": "30",
}
PAGES: dict[tuple[str, str], Page] = {
    ("GET", "/console"): Page(_p("/console")),
    ("GET", "/console/alerts"): Page(_p("/console/alerts")),
    ("GET", "/console/stores"): Page(_p("/console/stores")),
    ("POST", "/console/stores"): Page(_p("/console/stores"), lambda w: {"name": "B二号店"}),
    ("GET", "/console/stores/{store_id}"): Page(_p("/console/stores/{store1}"), refused=True),
    ("GET", "/console/items"): Page(_p("/console/items")),
    ("POST", "/console/items"): Page(
        _p("/console/items"),
        lambda w: {"item_code": "B02", "name": "B菜", "unit": "份", "unit_price": "1.00"},
    ),
    ("GET", "/console/terminals"): Page(_p("/console/terminals")),
    ("POST", "/console/terminals"): Page(
        _p("/console/terminals"), lambda w: {"store_id": w["store1"], "name": "x"}, refused=True
    ),
    ("POST", "/console/terminals/{terminal_id}/revoke"): Page(
        _p("/console/terminals/{terminal1}/revoke"), lambda w: {}, refused=True
    ),
    ("GET", "/console/terminals/{terminal_id}/printer"): Page(
        _p("/console/terminals/{terminal1}/printer"), refused=True
    ),
    ("POST", "/console/terminals/{terminal_id}/printer"): Page(
        _p("/console/terminals/{terminal1}/printer"),
        lambda w: {"printer_host": "192.168.1.50"},
        refused=True,
    ),
    ("GET", "/console/bindings"): Page(_p("/console/bindings")),
    ("POST", "/console/bindings"): Page(
        _p("/console/bindings"),
        lambda w: binding_to(w["store1"]),
        refused=True,
    ),
    ("POST", "/console/bindings/meituan/authorize"): Page(
        _p("/console/bindings/meituan/authorize"),
        lambda w: {"store_id": w["store1"], "platform_store_id": "mt-shop-1"},
        refused=True,
    ),
    # consumer notifications: B's own templates (one row per merchant and event), B's own log
    ("GET", "/console/notifications"): Page(_p("/console/notifications")),
    ("POST", "/console/notifications/{event}"): Page(
        _p("/console/notifications/redeemed"),
        lambda w: {"template_id": "b-tpl", "key": "thing1", "value": "item_name"},
    ),
    ("GET", "/console/outbox"): Page(_p("/console/outbox")),
    ("POST", "/console/outbox/{outbox_id}/retry"): Page(
        _p("/console/outbox/{outbox}/retry"), lambda w: {}, refused=True
    ),
    ("GET", "/console/templates"): Page(_p("/console/templates")),
    ("GET", "/console/templates/new"): Page(_p("/console/templates/new")),
    ("POST", "/console/templates/new"): Page(
        _p("/console/templates/new"),
        lambda w: {**TEMPLATE_FORM, "store_ids": str(w["store1"])},
        refused=True,
    ),
    ("GET", "/console/templates/{template_id}/edit"): Page(
        _p("/console/templates/{template}/edit"), refused=True
    ),
    ("POST", "/console/templates/{template_id}/edit"): Page(
        _p("/console/templates/{template}/edit"), lambda w: TEMPLATE_FORM, refused=True
    ),
    ("GET", "/console/listings"): Page(_p("/console/listings")),
    ("POST", "/console/listings"): Page(
        _p("/console/listings"),
        lambda w: {"template_id": w["template"], "platform": "weimall", "title": "B"},
        refused=True,
    ),
    ("GET", "/console/codes"): Page(_p("/console/codes?q={code}"), refused=True),
    # the back office (web/console/pages_reports.py, pages_archive.py, pages_staff.py): B's
    # lists filtered on A's store show nothing of A; B's forms aimed at A's objects are 404s
    ("GET", "/console/charts.css"): Page(_p("/console/charts.css")),
    ("GET", "/console/reports/{kind}"): Page(_p("/console/reports/redemptions?days=30")),
    ("GET", "/console/reports/{kind}/export"): Page(_p("/console/reports/sales/export")),
    ("GET", "/console/orders"): Page(_p("/console/orders?store_id={store1}")),
    ("GET", "/console/redemptions"): Page(_p("/console/redemptions?store_id={store1}")),
    ("GET", "/console/{kind}/export"): Page(_p("/console/codes/export?store_id={store1}")),
    ("GET", "/console/audit"): Page(_p("/console/audit")),
    ("GET", "/console/staff"): Page(_p("/console/staff")),
    ("POST", "/console/staff"): Page(
        _p("/console/staff"),
        lambda w: {
            "username": "b-hijack",
            "password": "Lychee-Harbour-2031",
            "role": "cashier",
            "store_ids": str(w["store1"]),
        },
        refused=True,
    ),
    ("POST", "/console/staff/{user_id}/active"): Page(
        _p("/console/staff/{user}/active"), lambda w: {"active": "0"}, refused=True
    ),
    # edits and 停用/启用 (web/console/pages_edits.py, pages_switch.py): A's objects are 404s
    ("GET", "/console/stores/{store_id}/edit"): Page(
        _p("/console/stores/{store1}/edit"), refused=True
    ),
    ("POST", "/console/stores/{store_id}/edit"): Page(
        _p("/console/stores/{store1}/edit"),
        lambda w: {"name": "hijacked", "opening_hours": "00:00-01:00"},
        refused=True,
    ),
    ("GET", "/console/items/{item_code}/edit"): Page(
        _p("/console/items/BEER01/edit"), refused=True
    ),
    ("POST", "/console/items/{item_code}/edit"): Page(
        _p("/console/items/BEER01/edit"),
        lambda w: {"name": "hijacked", "unit": "份", "unit_price": "0.01"},
        refused=True,
    ),
    ("GET", "/console/terminals/{terminal_id}/edit"): Page(
        _p("/console/terminals/{terminal1}/edit"), refused=True
    ),
    ("POST", "/console/terminals/{terminal_id}/edit"): Page(
        _p("/console/terminals/{terminal1}/edit"), lambda w: {"name": "hijacked"}, refused=True
    ),
    ("GET", "/console/listings/{listing_id}/edit"): Page(
        _p("/console/listings/{listing}/edit"), refused=True
    ),
    ("POST", "/console/listings/{listing_id}/edit"): Page(
        _p("/console/listings/{listing}/edit"), lambda w: {"title": "hijacked"}, refused=True
    ),
    ("POST", "/console/{kind}/{ref}/disable"): Page(
        _p("/console/listings/{listing}/disable"), lambda w: {"confirm": "yes"}, refused=True
    ),
    ("POST", "/console/{kind}/{ref}/enable"): Page(
        _p("/console/terminals/{terminal1}/enable"), lambda w: {}, refused=True
    ),
    # reconciliation (web/console/pages_reconciliation.py): A's store and runs are not B's
    ("GET", "/console/reconciliations"): Page(_p("/console/reconciliations")),
    ("POST", "/console/reconciliations"): Page(
        _p("/console/reconciliations"),
        lambda w: {"store_id": w["store1"], "platform": "weimall", "date": "2026-12-01"},
        refused=True,
    ),
    ("POST", "/console/reconciliations/upload"): Page(
        _p("/console/reconciliations/upload"),
        lambda w: {"store_id": w["store1"], "platform": "weimall", "date": "2026-12-01"},
        refused=True,
    ),
    ("GET", "/console/reconciliations/{run_id}"): Page(
        _p("/console/reconciliations/1"), refused=True
    ),
    # tables and their QR sheet (web/console/pages_tables.py): A's store is not B's
    ("GET", "/console/stores/{store_id}/tables"): Page(
        _p("/console/stores/{store1}/tables"), refused=True
    ),
    ("POST", "/console/stores/{store_id}/tables"): Page(
        _p("/console/stores/{store1}/tables"), lambda w: {"tables": "Z1-Z3"}, refused=True
    ),
    ("POST", "/console/stores/{store_id}/tables/{table_id}/active"): Page(
        _p("/console/stores/{store1}/tables/1/active"), lambda w: {"active": "0"}, refused=True
    ),
    ("GET", "/console/stores/{store_id}/tables.pdf"): Page(
        _p("/console/stores/{store1}/tables.pdf"), refused=True
    ),
}


def _page_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith(PAGE_PREFIXES):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def test_every_page_route_has_a_matrix_entry(app: Any) -> None:
    assert _page_routes(app) == set(PAGES) | OWN_SESSION


def _browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as browser:
        yield browser


@pytest.fixture
def desk_b(app: Any, world: dict[str, Any]) -> Iterator[TestClient]:
    """Merchant B's HQ admin, signed in to the console."""
    yield from _signed_in(app, B_HQ, B_PASSWORD)


@pytest.fixture
def desk_manager(app: Any, world: dict[str, Any], demo: dict[str, Any]) -> Iterator[TestClient]:
    """Merchant A's manager of 皇岗店, signed in to the console."""
    manager = demo["store_manager"]
    yield from _signed_in(app, manager["user"], manager["password"])


def _signed_in(app: Any, username: str, password: str) -> Iterator[TestClient]:
    for browser in _browser(app):
        response = browser.post(
            "/console/login",
            data={"username": username, "password": password},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        yield browser


def _csrf(browser: TestClient) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/console").text)
    assert match, "every console page carries the session's CSRF token"
    return match.group(1)


def _call(browser: TestClient, key: tuple[str, str], w: dict[str, Any], csrf: str) -> Any:
    page = PAGES[key]
    if key[0] == "GET":
        return browser.get(page.path(w), follow_redirects=False)
    form = {**(page.form(w) if page.form else {}), "csrf": csrf}
    return browser.post(page.path(w), data=form, follow_redirects=False)


def _a_state(client: Any, w: dict[str, Any]) -> Any:
    """What A's HQ sees of the objects B aimed at: nothing of it may change."""
    hq = w["a_hq"]
    api = "/api/admin/v1"
    return (
        client.get(f"{api}/terminals", headers=hq).json(),
        client.get(f"{api}/bindings", headers=hq).json(),
        client.get(f"{api}/templates/{w['template']}", headers=hq).json(),
        client.get(f"{api}/listings", headers=hq).json(),
        client.get(f"{api}/outbox", headers=hq).json(),
    )


def test_merchant_b_cannot_see_or_touch_merchant_a_through_the_pages(
    client: Any, world: dict[str, Any], desk_b: TestClient
) -> None:
    before = _a_state(client, world)
    csrf = _csrf(desk_b)
    for key, page in PAGES.items():
        response = _call(desk_b, key, world, csrf)
        if page.refused:
            # 404 like anything that is not there: no hint that A's object exists
            assert response.status_code == 404, (key, response.status_code)
        else:
            assert response.status_code in (200, 303), (key, response.status_code)
        for marker in A_MARKERS:
            assert marker not in response.text, (key, marker)
    assert _a_state(client, world) == before


def test_a_store_manager_is_refused_another_stores_pages(
    client: Any, world: dict[str, Any], desk_manager: TestClient
) -> None:
    before = _a_state(client, world)
    csrf = _csrf(desk_manager)
    refused = [
        ("GET", f"/console/stores/{world['store2']}", None),
        ("POST", f"/console/terminals/{world['terminal2']}/revoke", {}),
        ("POST", f"/console/terminals/{world['terminal2']}/disable", {"confirm": "yes"}),
        ("POST", f"/console/terminals/{world['terminal2']}/edit", {"name": "x"}),
        ("POST", f"/console/stores/{world['store2']}/edit", {"name": "x"}),
        ("POST", f"/console/stores/{world['store1']}/disable", {"confirm": "yes"}),
        ("GET", f"/console/terminals/{world['terminal2']}/printer", None),
        ("POST", f"/console/terminals/{world['terminal2']}/printer", {"printer_host": "10.0.0.9"}),
        ("POST", "/console/terminals", {"store_id": world["store2"], "name": "x"}),
        (
            "POST",
            "/console/bindings",
            binding_to(world["store2"]),
        ),
        ("GET", f"/console/stores/{world['store2']}/tables", None),
        ("GET", f"/console/stores/{world['store2']}/tables.pdf", None),
        ("POST", f"/console/stores/{world['store2']}/tables", {"tables": "Z1"}),
        ("POST", f"/console/stores/{world['store2']}/tables/1/active", {"active": "0"}),
        ("GET", "/console/outbox", None),
        ("POST", f"/console/outbox/{world['outbox']}/retry", {}),
        ("GET", "/console/notifications", None),
        ("POST", "/console/notifications/redeemed", {"template_id": "x", "key": "k1"}),
        (
            "POST",
            "/console/bindings/meituan/authorize",
            {"store_id": world["store2"], "platform_store_id": "mt-shop-2"},
        ),
        (
            "POST",
            "/console/reconciliations",
            {"store_id": world["store2"], "platform": "weimall", "date": "2026-12-01"},
        ),
    ]
    for method, path, form in refused:
        data = None if form is None else {**form, "csrf": csrf}
        response = desk_manager.request(method, path, data=data, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
        assert "没有权限执行此操作" in response.text, path
    assert _a_state(client, world) == before
    own = desk_manager.get(f"/console/stores/{world['store1']}")
    assert own.status_code == 200


def test_a_tills_cookie_opens_no_console_page(
    app: Any, world: dict[str, Any], demo: dict[str, Any]
) -> None:
    for browser in _browser(app):
        signed = browser.post(
            "/cashier/login", data={"key": demo["terminal_key"]}, follow_redirects=False
        )
        assert signed.status_code == 303
        for key in PAGES:
            if key[0] != "GET":
                continue
            response = browser.get(PAGES[key].path(world), follow_redirects=False)
            assert response.status_code == 303, key
            assert response.headers["location"].startswith("/console/login"), key


# ---- The consumer's pages on the phone (/wx/...) ---------------------------------------------
# They answer a WeChat user's session (merchant + openid), not a console one. Every /wx route
# needs a row here: how a WeChat user who did not buy A's code calls it with A's objects
# (`refused`: 404, as for an unknown code; else a page that shows none of A's codes).
CONSUMER_PREFIX = "/wx/"
# WeChat's return acts on the sign-in this browser started (tests/consumer/test_sign_in.py).
CONSUMER_OWN_SESSION = {("GET", "/wx/oauth/callback")}
CONSUMER_PAGES: dict[tuple[str, str], Page] = {
    ("GET", "/wx/{merchant_id}/vouchers"): Page(_p("/wx/{a_merchant}/vouchers")),
    ("GET", "/wx/{merchant_id}/vouchers/{code}"): Page(
        _p("/wx/{a_merchant}/vouchers/{a_code}"), refused=True
    ),
}
A_BUYER = "o-a-buyer"
# The table page (/wx/t/{token}, web/consumer/table_routes.py) is named by the table's QR token,
# not a merchant id: its matrix is test_a_table_page_acts_only_for_its_merchants_consumers.
TABLE_PAGES = {
    ("GET", "/wx/t/{token}"),
    ("POST", "/wx/t/{token}/use"),
    ("POST", "/wx/t/{token}/pay"),
}


def test_every_consumer_page_route_has_a_matrix_entry(app: Any) -> None:
    found = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if (route.path or "").startswith(CONSUMER_PREFIX)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert found == set(CONSUMER_PAGES) | CONSUMER_OWN_SESSION | TABLE_PAGES


def _consumer(app: Any, container: Container, merchant_id: int, openid: str) -> TestClient:
    browser = TestClient(app)
    sealed = session_cookie(container, ConsumerSession(merchant_id, openid))
    browser.cookies.set(CONSUMER_COOKIE, sealed)
    return browser


def test_a_consumer_sees_only_their_own_codes_through_the_phone_pages(
    app: Any, client: Any, world: dict[str, Any], container: Container
) -> None:
    a_merchant = int(client.get("/api/admin/v1/me", headers=world["a_hq"]).json()["merchant"]["id"])
    b_merchant = int(client.get("/api/admin/v1/me", headers=world["b_hq"]).json()["merchant"]["id"])
    listing = next(
        li
        for li in client.get("/api/admin/v1/listings", headers=world["a_hq"]).json()
        if (li["platform"], li["code_type"]) == ("weimall", "merchant")
    )
    with container.uow(write=True) as uow:
        bought = purchase_in(
            uow,
            platform="weimall",
            merchant_id=a_merchant,
            listing_public_id=listing["public_id"],
            platform_order_id="consumer-matrix-1",
            quantity=1,
            buyer_openid=A_BUYER,
            now=container.clock(),
        )
        uow.commit()
    w = {**world, "a_merchant": a_merchant, "a_code": bought.codes[0]}
    with _consumer(app, container, a_merchant, A_BUYER) as buyer:  # the control: theirs opens
        assert (
            buyer.get(
                CONSUMER_PAGES[("GET", "/wx/{merchant_id}/vouchers/{code}")].path(w)
            ).status_code
            == 200
        )
    # another WeChat user at A, and A's own buyer signed in at merchant B
    with _consumer(app, container, a_merchant, "o-stranger") as stranger:
        for key, page in CONSUMER_PAGES.items():
            response = stranger.get(page.path(w), follow_redirects=False)
            assert response.status_code == (404 if page.refused else 200), key
            assert w["a_code"] not in response.text, key
    with _consumer(app, container, b_merchant, A_BUYER) as elsewhere:
        for key, page in CONSUMER_PAGES.items():
            # A's pages want a sign-in at A first: WeChat's authorize page, never A's data
            response = elsewhere.get(page.path(w), follow_redirects=False)
            assert response.status_code == 302, key
            assert w["a_code"] not in response.text, key
            at_b = elsewhere.get(page.path({**w, "a_merchant": b_merchant}), follow_redirects=False)
            assert at_b.status_code == (404 if page.refused else 200), key
            assert w["a_code"] not in at_b.text, key


def test_a_table_page_acts_only_for_its_merchants_consumers(
    app: Any, client: Any, world: dict[str, Any], container: Container
) -> None:
    """A's table QR: a WeChat user signed in at B is sent to sign in at A (nothing of A's bill,
    nothing used or paid); a user at A who does not own A's buyer's code cannot use it."""
    from voucherbridge.selfpay.tables import add_tables, store_tables

    a_merchant = int(client.get("/api/admin/v1/me", headers=world["a_hq"]).json()["merchant"]["id"])
    b_merchant = int(client.get("/api/admin/v1/me", headers=world["b_hq"]).json()["merchant"]["id"])
    actor = Actor.operator(a_merchant)
    now = container.clock()
    add_tables(container.uow(write=True), actor=actor, store_id=world["store1"], spec="T9", now=now)
    _store, rows = store_tables(container.uow(), actor=actor, store_id=world["store1"])
    token = rows[0].token
    bill = client.post(
        "/api/v1/orders", json={"table": "T9", "lines": [LINE]}, headers=world["a_till"]
    ).json()
    listing = next(
        li
        for li in client.get("/api/admin/v1/listings", headers=world["a_hq"]).json()
        if (li["platform"], li["code_type"]) == ("weimall", "merchant")
    )
    with container.uow(write=True) as uow:
        bought = purchase_in(
            uow,
            platform="weimall",
            merchant_id=a_merchant,
            listing_public_id=listing["public_id"],
            platform_order_id="table-matrix-1",
            quantity=1,
            buyer_openid=A_BUYER,
            now=now,
        )
        uow.commit()
    code = bought.codes[0]
    with _consumer(app, container, b_merchant, A_BUYER) as elsewhere:
        for method, path in sorted(TABLE_PAGES):
            url = path.format(token=token)
            response = elsewhere.request(
                method, url, data={"code": code, "nonce": "n1"}, follow_redirects=False
            )
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/connect/oauth2/authorize" in response.headers["location"]
            assert bill["order_no"] not in response.text
    with _consumer(app, container, a_merchant, "o-stranger") as stranger:
        used = stranger.post(f"/wx/t/{token}/use", data={"code": code, "nonce": "n1"})
        assert used.status_code == 404
        assert 'data-code="voucher_not_found"' in used.text
    order = client.get(f"/api/v1/orders/{bill['id']}", headers=world["a_till"]).json()
    assert order["vouchers"] == []
    assert order["tenders"] == []
