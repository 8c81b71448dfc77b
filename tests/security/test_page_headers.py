"""Every page (each route of the console and the cashier page, signed in) forbids framing,
scripts from elsewhere and MIME sniffing, and keeps its URL to itself; API answers, static files
and the API docs carry what applies to them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.helpers import ADMIN_API, demo_admin_headers
from voucherbridge.bootstrap import Container
from voucherbridge.web.consumer.session import COOKIE as CONSUMER_COOKIE
from voucherbridge.web.consumer.session import ConsumerSession, session_cookie

PAGE_PREFIXES = ("/console", "/cashier")
EVERY_RESPONSE = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


def _policy(response: Any) -> dict[str, set[str]]:
    header = response.headers.get("content-security-policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in directives}


def _assert_page_headers(response: Any, what: object) -> None:
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (what, name)
    assert response.headers.get("x-frame-options") == "DENY", what
    policy = _policy(response)
    assert policy["default-src"] == {"'self'"}, what
    assert policy["script-src"] == {"'self'"}, what  # no inline script, no other host
    assert policy["frame-ancestors"] == {"'none'"}, what
    assert not any("unsafe" in v for values in policy.values() for v in values), what


def _page_routes(app: Any) -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(PAGE_PREFIXES):
            found |= {(method, path) for method in route.methods or () if method != "HEAD"}
    return sorted(found)


@pytest.fixture
def ids(client: Any, demo: dict[str, Any]) -> dict[str, int]:
    """A real object of the demo merchant for each id a page path takes."""
    hq = demo_admin_headers(client, demo)
    first = {
        kind: client.get(f"{ADMIN_API}/{kind}", headers=hq).json()[0]["id"]
        for kind in ("stores", "templates", "terminals")
    }
    return {
        "store_id": first["stores"],
        "template_id": first["templates"],
        "terminal_id": first["terminals"],
        "outbox_id": 1,
        "run_id": 999_999,  # the demo has reconciled nothing yet: its 404 page
        "user_id": 1,
        "item_code": "BEER01",
        "listing_id": client.get(f"{ADMIN_API}/listings", headers=hq).json()[0]["id"],
    }


def _browser(app: Any, form: str, data: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(app) as browser:
        signed_in = browser.post(form, data=data, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        yield browser


@pytest.fixture
def desk(app: Any, demo: dict[str, Any]) -> Iterator[TestClient]:
    console = demo["console"]
    form = {"username": console["user"], "password": console["password"]}
    yield from _browser(app, "/console/login", form)


@pytest.fixture
def counter(app: Any, demo: dict[str, Any]) -> Iterator[TestClient]:
    yield from _browser(app, "/cashier/login", {"key": demo["terminal_key"]})


# Pages a platform sends the browser back to, with its own query (auth_code, state).
ANSWERS_A_PLATFORM = {"/console/bindings/meituan/callback"}
# Pages of objects the demo does not have (yet): the 404 page carries the headers too.
NOT_THERE = {"/console/reconciliations/{run_id}"}
# Routes whose path names a kind, not an object id: one real example each.
EXAMPLES = {
    "/console/reports/{kind}": "/console/reports/sales",
    "/console/reports/{kind}/export": "/console/reports/sales/export?format=csv",
    "/console/{kind}/export": "/console/codes/export?format=csv",
    "/console/{kind}/{ref}/disable": "/console/listings/1/disable",
    "/console/{kind}/{ref}/enable": "/console/listings/1/enable",
    "/console/notifications/{event}": "/console/notifications/redeemed",
    "/cashier/live": "/cashier/live?once=1",  # the event stream, ended after what waits now
    "/console/stores/{store_id}/tables/{table_id}/active": "/console/stores/1/tables/1/active",
}
# Not pages: the charts' stylesheet (pygal's, kept out of the SVG for the CSP) and downloads.
NOT_PAGES = {
    "/console/charts.css": "text/css",
    "/console/reports/{kind}/export": "text/csv",
    "/console/{kind}/export": "text/csv",
    "/cashier/live": "text/event-stream",
    "/console/stores/{store_id}/tables.pdf": "application/pdf",
}


def test_every_page_route_answers_with_the_security_headers(
    app: Any, desk: TestClient, counter: TestClient, ids: dict[str, int]
) -> None:
    routes = _page_routes(app)
    assert ("GET", "/console/stores/{store_id}") in routes
    assert ("GET", "/cashier") in routes
    for method, path in routes:
        browser = counter if path.startswith("/cashier") else desk
        url = EXAMPLES.get(path) or re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        # Posts go without their CSRF token: refused, and the refusal is a page too.
        response = browser.request(method, url, follow_redirects=False)
        assert response.status_code < 500, (method, path, response.status_code)
        if path in NOT_THERE:
            assert response.status_code == 404, (path, response.status_code)
        elif path in ANSWERS_A_PLATFORM:  # called without the platform's query: refused, a page
            assert response.status_code == 422, (path, response.status_code)
        elif method == "GET":  # sorted: every GET comes before the posts that sign out
            assert response.status_code == 200, (path, response.status_code)
            if path in NOT_PAGES:  # a stylesheet or a download: the headers every response has
                kind = response.headers["content-type"]
                assert kind.startswith(NOT_PAGES[path]), (path, kind)
                for name, value in EVERY_RESPONSE.items():
                    assert response.headers.get(name) == value, (path, name)
                continue
            assert response.headers["content-type"].startswith("text/html"), path
            assert "<script>" not in response.text, path  # inline script would be blocked
        _assert_page_headers(response, (method, path))


def test_every_consumer_page_answers_with_the_security_headers(
    app: Any, client: Any, demo: dict[str, Any], container: Container
) -> None:
    """The phone pages (/wx/...), signed in as a WeChat user of the demo merchant and signed out
    (a redirect to WeChat's authorize page is a page answer too); ids it does not know: 404."""
    merchant = client.get(f"{ADMIN_API}/me", headers=demo_admin_headers(client, demo)).json()
    sealed = session_cookie(container, ConsumerSession(int(merchant["merchant"]["id"]), "o-x"))
    values = {"merchant_id": str(merchant["merchant"]["id"]), "code": "J00000000000000"}
    routes = sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if (route.path or "").startswith("/wx/")
        for method in route.methods or ()
        if method != "HEAD"
    )
    assert ("GET", "/wx/{merchant_id}/vouchers") in routes
    for signed_in in (True, False):
        with TestClient(app) as phone:
            if signed_in:
                phone.cookies.set(CONSUMER_COOKIE, sealed)
            for method, path in routes:
                url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)
                response = phone.request(method, url, follow_redirects=False)
                assert response.status_code < 500, (method, path, response.status_code)
                assert "<script>" not in response.text, path
                _assert_page_headers(response, (method, path, signed_in))


def test_signed_out_pages_and_error_pages_carry_them_too(app: Any) -> None:
    with TestClient(app) as browser:
        for path in ("/console/login", "/cashier/login", "/console/stores"):
            _assert_page_headers(browser.get(path, follow_redirects=False), path)
        refused = browser.post("/console/login", data={"username": "x", "password": "y"})
        assert refused.status_code == 401
        _assert_page_headers(refused, "a refused sign-in")


def test_api_answers_and_static_files_are_not_sniffed_nor_referred(
    client: Any, demo: dict[str, Any]
) -> None:
    hq = demo_admin_headers(client, demo)
    answers = {
        "health": client.get("/healthz"),
        "admin list": client.get(f"{ADMIN_API}/stores", headers=hq),
        "refused": client.get(f"{ADMIN_API}/me"),
        "too large": client.post(f"{ADMIN_API}/login", content=b"x" * 300_000),
        "script": client.get("/static/cashier.js"),
        "style": client.get("/static/console.css"),
        "openapi": client.get("/openapi.json"),
    }
    assert answers["too large"].status_code == 413
    for what, response in answers.items():
        for name, value in EVERY_RESPONSE.items():
            assert response.headers.get(name) == value, (what, name)
    assert answers["admin list"].headers["content-type"].startswith("application/json")
    assert "content-security-policy" not in answers["admin list"].headers


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_get_a_policy_allowing_exactly_what_they_load(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["frame-ancestors"] == {"'none'"}
    assert response.headers["x-frame-options"] == "DENY"
    # Served from our own files: nothing elsewhere is loaded, nor allowed.
    assert not re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text)
    assert not any("http" in source for sources in policy.values() for source in sources)
    assert "'unsafe-inline'" in policy["script-src"]  # FastAPI's inline start-up script
