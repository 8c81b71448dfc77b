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

from tests.security._tenancy import A_MARKERS, B_HQ, B_PASSWORD, binding_to

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
