"""Tenants and roles over every API route, on SQLite and PostgreSQL.

Merchant A is the demo chain (two stores); merchant B has its own store, till and HQ user.
Every route of the app must have a row in ROUTES, so a new route without a tenancy decision
fails `test_every_api_route_has_a_matrix_entry`. For each route the row says how B would call
it with A's objects and which catalogue code says "not found" there. The console and cashier
pages have their own matrix in test_page_tenancy.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from tests.factories import bind_all_stores
from tests.helpers import demo_admin_headers
from tests.security._scope import Upload, statement_upload
from tests.security._tenancy import A_MARKERS, B_HQ, B_LINE, B_PASSWORD, LINE, binding_to
from voucherbridge.bootstrap import Container
from voucherbridge.platforms.repository import BindingRepo
from voucherbridge.platforms.weimall.signing import build_envelope

WM_SECRET = "wm-tenancy-secret"
# Pages, not the API: their matrices are in test_page_tenancy.py (/wx: the consumer's phone pages).
NOT_API = ("/console", "/cashier", "/wx", "/static", "/docs", "/redoc", "/openapi.json")


@dataclass(frozen=True)
class Row:
    """How to call a route as B with A's objects: path and body from the world, expected code.

    `expect` None: the route names no object of A (a list, login, creation); lists are checked
    to show none of A's objects instead."""

    path: Callable[[dict[str, Any]], str]
    body: Callable[[dict[str, Any]], Any] | None = None
    expect: str | None = None


def _p(template: str) -> Callable[[dict[str, Any]], str]:
    return lambda w: template.format(**w)


ROUTES: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row(_p("/healthz")),
    ("GET", "/readyz"): Row(_p("/readyz")),
    ("GET", "/metrics"): Row(_p("/metrics")),
    ("GET", "/"): Row(_p("/")),  # the start page: links only, nobody's data
    # --- Terminal API: B's till --------------------------------------------------------
    ("POST", "/api/v1/orders"): Row(_p("/api/v1/orders"), lambda w: {"lines": [B_LINE]}),
    ("GET", "/api/v1/orders"): Row(_p("/api/v1/orders?status=open")),  # B's own open bills
    ("GET", "/api/v1/orders/{order_id}"): Row(
        _p("/api/v1/orders/{order}"), None, "order_not_found"
    ),
    ("PUT", "/api/v1/orders/{order_id}/lines"): Row(
        _p("/api/v1/orders/{order}/lines"), lambda w: {"lines": [B_LINE]}, "order_not_found"
    ),
    ("POST", "/api/v1/vouchers/prepare"): Row(
        _p("/api/v1/vouchers/prepare"),
        lambda w: {"code": w["code"], "order_id": w["b_order"]},
        "voucher_not_found",
    ),
    ("POST", "/api/v1/redemptions"): Row(
        _p("/api/v1/redemptions"),
        lambda w: {"code": w["code"], "order_id": w["b_order"]},
        "voucher_not_found",
    ),
    ("POST", "/api/v1/redemptions/{redemption_id}/reverse"): Row(
        _p("/api/v1/redemptions/{redemption}/reverse"), lambda w: {}, "redemption_not_found"
    ),
    ("POST", "/api/v1/orders/{order_id}/checkout"): Row(
        _p("/api/v1/orders/{order}/checkout"), lambda w: {"tenders": []}, "order_not_found"
    ),
    ("POST", "/api/v1/orders/{order_id}/reopen"): Row(
        _p("/api/v1/orders/{order}/reopen"), lambda w: {}, "order_not_found"
    ),
    ("GET", "/api/v1/orders/{order_id}/receipt"): Row(
        _p("/api/v1/orders/{order}/receipt"), None, "order_not_found"
    ),
    ("POST", "/api/v1/orders/{order_id}/receipt/print"): Row(
        _p("/api/v1/orders/{order}/receipt/print"), None, "order_not_found"
    ),
    # --- Admin API: B's HQ admin -------------------------------------------------------
    ("POST", "/api/admin/v1/login"): Row(
        _p("/api/admin/v1/login"), lambda w: {"username": B_HQ, "password": B_PASSWORD}
    ),
    ("POST", "/api/admin/v1/logout"): Row(_p("/api/admin/v1/logout")),
    ("GET", "/api/admin/v1/me"): Row(_p("/api/admin/v1/me")),
    ("GET", "/api/admin/v1/stores"): Row(_p("/api/admin/v1/stores")),
    ("POST", "/api/admin/v1/stores"): Row(
        _p("/api/admin/v1/stores"), lambda w: {"name": "B二号店", "brand": "B", "address": ""}
    ),
    ("GET", "/api/admin/v1/stores/{store_id}"): Row(
        _p("/api/admin/v1/stores/{store1}"), None, "not_found"
    ),
    ("PATCH", "/api/admin/v1/stores/{store_id}"): Row(
        _p("/api/admin/v1/stores/{store1}"), lambda w: {"name": "hijacked"}, "not_found"
    ),
    ("GET", "/api/admin/v1/items"): Row(_p("/api/admin/v1/items")),
    ("POST", "/api/admin/v1/items"): Row(
        _p("/api/admin/v1/items"),
        lambda w: {"item_code": "B01", "name": "B菜", "unit": "份", "unit_price_fen": 100},
    ),
    ("PATCH", "/api/admin/v1/items/{item_code}"): Row(
        _p("/api/admin/v1/items/BEER01"), lambda w: {"unit_price_fen": 1}, "not_found"
    ),
    ("GET", "/api/admin/v1/terminals"): Row(_p("/api/admin/v1/terminals")),
    ("POST", "/api/admin/v1/terminals"): Row(
        _p("/api/admin/v1/terminals"), lambda w: {"store_id": w["store1"], "name": "x"}, "not_found"
    ),
    ("PATCH", "/api/admin/v1/terminals/{terminal_id}"): Row(
        _p("/api/admin/v1/terminals/{terminal1}"), lambda w: {"active": False}, "not_found"
    ),
    ("GET", "/api/admin/v1/listings/{listing_id}/sales-stop"): Row(
        _p("/api/admin/v1/listings/{listing}/sales-stop"), None, "not_found"
    ),
    ("GET", "/api/admin/v1/templates/{template_id}/sales-stop"): Row(
        _p("/api/admin/v1/templates/{template}/sales-stop"), None, "not_found"
    ),
    ("POST", "/api/admin/v1/terminals/{terminal_id}/revoke"): Row(
        _p("/api/admin/v1/terminals/{terminal1}/revoke"), None, "not_found"
    ),
    ("GET", "/api/admin/v1/terminals/{terminal_id}/printer"): Row(
        _p("/api/admin/v1/terminals/{terminal1}/printer"), None, "not_found"
    ),
    ("PUT", "/api/admin/v1/terminals/{terminal_id}/printer"): Row(
        _p("/api/admin/v1/terminals/{terminal1}/printer"),
        lambda w: {"host": "192.168.1.50"},
        "not_found",
    ),
    ("GET", "/api/admin/v1/users"): Row(_p("/api/admin/v1/users")),
    ("POST", "/api/admin/v1/users"): Row(
        _p("/api/admin/v1/users"),
        lambda w: {"username": "b-cashier", "password": "scope-pw-71", "role": "hq_admin"},
    ),
    ("PATCH", "/api/admin/v1/users/{user_id}"): Row(
        _p("/api/admin/v1/users/{user}"), lambda w: {"active": False}, "not_found"
    ),
    ("GET", "/api/admin/v1/templates"): Row(_p("/api/admin/v1/templates")),
    ("POST", "/api/admin/v1/templates"): Row(
        _p("/api/admin/v1/templates"),
        lambda w: {
            "kind": "cash",
            "name": "B券",
            "face_value_fen": 100,
            "price_fen": 50,
            "validity_mode": "relative",
            "valid_days": 10,
            "store_ids": [w["store1"]],
        },
        "not_found",
    ),
    ("GET", "/api/admin/v1/templates/{template_id}"): Row(
        _p("/api/admin/v1/templates/{template}"), None, "not_found"
    ),
    ("PATCH", "/api/admin/v1/templates/{template_id}"): Row(
        _p("/api/admin/v1/templates/{template}"), lambda w: {"name": "hijacked"}, "not_found"
    ),
    ("GET", "/api/admin/v1/listings"): Row(_p("/api/admin/v1/listings")),
    ("POST", "/api/admin/v1/listings"): Row(
        _p("/api/admin/v1/listings"),
        lambda w: {
            "template_id": w["template"],
            "platform": "weimall",
            "code_type": "merchant",
            "title": "B",
        },
        "not_found",
    ),
    ("GET", "/api/admin/v1/listings/{listing_id}"): Row(
        _p("/api/admin/v1/listings/{listing}"), None, "not_found"
    ),
    ("PATCH", "/api/admin/v1/listings/{listing_id}"): Row(
        _p("/api/admin/v1/listings/{listing}"), lambda w: {"title": "hijacked"}, "not_found"
    ),
    ("POST", "/api/admin/v1/listings/{listing_id}/codes"): Row(
        _p("/api/admin/v1/listings/{listing}/codes"),
        lambda w: {"quantity": 1, "reference": "b-steal"},
        "not_found",
    ),
    ("GET", "/api/admin/v1/codes/{code}"): Row(
        _p("/api/admin/v1/codes/{code}"), None, "voucher_not_found"
    ),
    ("GET", "/api/admin/v1/outbox"): Row(_p("/api/admin/v1/outbox")),
    ("POST", "/api/admin/v1/outbox/{outbox_id}/retry"): Row(
        _p("/api/admin/v1/outbox/{outbox}/retry"), None, "not_found"
    ),
    ("GET", "/api/admin/v1/audit"): Row(_p("/api/admin/v1/audit")),
    ("GET", "/api/admin/v1/audit/verify"): Row(_p("/api/admin/v1/audit/verify")),
    ("GET", "/api/admin/v1/alerts"): Row(_p("/api/admin/v1/alerts")),
    # reports and lists: B's own (empty) figures, even when asking with A's store id
    ("GET", "/api/admin/v1/reports/dashboard"): Row(_p("/api/admin/v1/reports/dashboard")),
    ("GET", "/api/admin/v1/reports/sales"): Row(
        _p("/api/admin/v1/reports/sales?from=2026-01-01&to=2026-12-31&group_by=store,listing")
    ),
    ("GET", "/api/admin/v1/reports/redemptions"): Row(
        _p("/api/admin/v1/reports/redemptions?from=2026-01-01&to=2026-12-31&group_by=store")
    ),
    ("GET", "/api/admin/v1/codes"): Row(_p("/api/admin/v1/codes?store_id={store1}")),
    ("GET", "/api/admin/v1/orders"): Row(_p("/api/admin/v1/orders?store_id={store1}")),
    ("GET", "/api/admin/v1/redemptions"): Row(_p("/api/admin/v1/redemptions?store_id={store1}")),
    # reconciliation: B runs and reads only its own; A's store is "not found" to B
    ("POST", "/api/admin/v1/reconciliations"): Row(
        _p("/api/admin/v1/reconciliations"),
        lambda w: {"platform": "weimall", "store_id": w["store1"], "date": "2026-12-01"},
        "not_found",
    ),
    ("POST", "/api/admin/v1/reconciliations/upload"): Row(
        _p("/api/admin/v1/reconciliations/upload"),
        lambda w: statement_upload(w["store1"]),
        "not_found",
    ),
    ("GET", "/api/admin/v1/reconciliations"): Row(_p("/api/admin/v1/reconciliations")),
    ("GET", "/api/admin/v1/reconciliations/{run_id}"): Row(
        _p("/api/admin/v1/reconciliations/1"), None, "not_found"
    ),
    ("GET", "/api/admin/v1/bindings"): Row(_p("/api/admin/v1/bindings")),
    ("POST", "/api/admin/v1/bindings"): Row(
        _p("/api/admin/v1/bindings"),
        lambda w: binding_to(w["store1"]),
        "not_found",
    ),
    # --- Signed callbacks: anonymous, see the hook tests below ---------------------------
    ("POST", "/hooks/weimall"): Row(_p("/hooks/weimall")),
    ("POST", "/hooks/douyin/spi/{name}"): Row(_p("/hooks/douyin/spi/issue")),
    ("POST", "/hooks/douyin/webhook"): Row(_p("/hooks/douyin/webhook")),
    # WeChat Pay's notify: no tenant in the call, only WeChat Pay's signature (tests/selfpay)
    ("POST", "/hooks/wechatpay/notify"): Row(_p("/hooks/wechatpay/notify")),
}
TERMINAL_ROUTES = [k for k in ROUTES if k[1].startswith("/api/v1/")]
# Signing in and out act on the caller's own session, never on another tenant's objects.
ADMIN_ROUTES = [
    k for k in ROUTES if k[1].startswith("/api/admin/") and not k[1].endswith(("/login", "/logout"))
]


def _api_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(NOT_API):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def test_every_api_route_has_a_matrix_entry(app):
    assert _api_routes(app) == set(ROUTES)


def _call(client: Any, key: tuple[str, str], w: dict[str, Any], headers: dict[str, str]) -> Any:
    row = ROUTES[key]
    body = row.body(w) if row.body else None
    if isinstance(body, Upload):
        return client.request(
            key[0], row.path(w), data=body.data, files=body.files, headers=headers
        )
    return client.request(key[0], row.path(w), json=body, headers=headers)


def _code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


def test_merchant_b_cannot_see_or_touch_merchant_a(client, world):
    for key in TERMINAL_ROUTES + ADMIN_ROUTES:
        row = ROUTES[key]
        who = world["b_till"] if key[1].startswith("/api/v1/") else world["b_hq"]
        response = _call(client, key, world, who)
        if row.expect is None:
            assert response.status_code < 400, (key, response.text)
            for marker in A_MARKERS:
                assert marker not in response.text, (key, marker, response.text)
            continue
        assert response.status_code == 404, (key, response.text)
        assert _code(response) == row.expect, key
    # and nothing of A changed: A still sees its redemption and its order open
    order = client.get(f"/api/v1/orders/{world['order']}", headers=world["a_till"]).json()
    assert [v["id"] for v in order["vouchers"]] == [world["redemption"]]


def test_a_terminal_key_is_not_an_admin_token_and_back(client, world):
    for key in ADMIN_ROUTES:
        response = _call(client, key, world, world["a_till"])
        assert (response.status_code, _code(response)) == (401, "unauthorized"), key
    for key in TERMINAL_ROUTES:
        response = _call(client, key, world, world["a_hq"])
        assert (response.status_code, _code(response)) == (401, "unauthorized"), key


def test_a_store_manager_cannot_touch_another_store(client, world):
    manager = world["manager"]
    refused = [
        ("GET", f"/api/admin/v1/stores/{world['store2']}", None),
        ("PATCH", f"/api/admin/v1/stores/{world['store2']}", {"name": "hijacked"}),
        ("POST", f"/api/admin/v1/terminals/{world['terminal2']}/revoke", None),
        ("GET", f"/api/admin/v1/terminals/{world['terminal2']}/printer", None),
        ("PUT", f"/api/admin/v1/terminals/{world['terminal2']}/printer", {"host": "10.0.0.9"}),
        ("POST", "/api/admin/v1/terminals", {"store_id": world["store2"], "name": "x"}),
        (
            "POST",
            "/api/admin/v1/bindings",
            binding_to(world["store2"]),
        ),
    ]
    for method, path, body in refused:
        response = client.request(method, path, json=body, headers=manager)
        assert (response.status_code, _code(response)) == (403, "forbidden"), (path, response.text)
    listed = client.get("/api/admin/v1/terminals", headers=manager).json()
    assert {t["store_id"] for t in listed} == {world["store1"]}
    own = client.get(f"/api/admin/v1/stores/{world['store1']}", headers=manager)
    assert own.status_code == 200
    # the refusals changed nothing: the other store's till is still active and works
    everything = client.get("/api/admin/v1/terminals", headers=world["a_hq"]).json()
    assert next(t for t in everything if t["id"] == world["terminal2"])["active"] is True
    opened = client.post("/api/v1/orders", json={"lines": [LINE]}, headers=world["a_till2"])
    assert opened.status_code == 201


def test_a_revoked_terminal_key_is_refused_on_the_very_next_request(client, world):
    till = world["a_till"]
    assert client.get(f"/api/v1/orders/{world['order']}", headers=till).status_code == 200
    revoked = client.post(
        f"/api/admin/v1/terminals/{world['terminal1']}/revoke", headers=world["a_hq"]
    )
    assert revoked.status_code == 200, revoked.text
    for key in TERMINAL_ROUTES:
        response = _call(client, key, world, till)
        assert (response.status_code, _code(response)) == (401, "unauthorized"), key


# --- anonymous callers: uniform answers -------------------------------------------------


@pytest.fixture
def bound(container: Container, demo: dict[str, Any]) -> tuple[str, str]:
    """A micro-mall binding of merchant A: (client_id, its secret)."""
    with container.uow(write=True) as uow:
        bind_all_stores(uow, 1, "weimall", container.secrets.seal(WM_SECRET), container.clock())
        uow.commit()
        binding = next(b for b in uow.repo(BindingRepo).list(1, None) if b.platform == "weimall")
    return binding.platform_store_id, container.secrets.open(binding.secret_sealed)


def _push(client: Any, envelope: dict[str, Any]) -> Any:
    return client.post("/hooks/weimall", content=json.dumps(envelope).encode())


def test_weimall_bad_signatures_get_one_answer_whether_the_store_exists_or_not(client, bound):
    now = int(time.time())
    payload = {"order_no": "WM1", "quantity": 1}
    answers = []
    for client_id in (bound[0], "no-such-store"):
        envelope = build_envelope(client_id, "wrong-secret", "PING", payload, now_s=now)
        response = _push(client, envelope)
        assert (response.status_code, _code(response)) == (401, "invalid_signature")
        answers.append(response.json())
    assert answers[0] == answers[1]
    good = _push(client, build_envelope(*bound, "PING", payload, now_s=now))
    assert good.status_code == 200, good.text


def test_weimall_replay_outside_the_tolerance_is_refused(client, bound, settings):
    old = int(time.time()) - settings.callback_tolerance_s - 60
    envelope = build_envelope(*bound, "PING", {}, now_s=old)
    response = _push(client, envelope)
    assert (response.status_code, _code(response)) == (401, "invalid_signature")
    fresh = build_envelope(*bound, "PING", {}, now_s=int(time.time()))
    assert _push(client, fresh).status_code == 200


def test_douyin_badly_signed_calls_get_one_answer_whether_the_product_exists_or_not(
    client, demo, settings
):
    admin = demo_admin_headers(client, demo)
    listings = client.get("/api/admin/v1/listings", headers=admin).json()
    real = next(x["public_id"] for x in listings if x["platform"] == "douyin")
    now_ms = int(time.time() * 1000)
    answers = []
    for third_sku_id in (real, "no-such-product"):
        body = {"order_id": "DY1", "sku": {"third_sku_id": third_sku_id}, "count": 1}
        for query in (
            f"?client_key={settings.douyin_client_key}&timestamp={now_ms}&sign=bad",
            f"?client_key={settings.douyin_client_key}&timestamp={now_ms - 3_600_000}&sign=bad",
            "?client_key=x&timestamp=1&sign=bad",
            "",
        ):
            response = client.post("/hooks/douyin/spi/issue" + query, json=body)
            _douyin_spi_refused(response)
            answers.append(response.json())
    assert all(a == answers[0] for a in answers)
    webhook = client.post("/hooks/douyin/webhook", json={"event": "x"})
    assert (webhook.status_code, _code(webhook)) == (401, "invalid_signature")


def _douyin_spi_refused(response: Any) -> None:
    """Douyin's own answer to a badly signed SPI call (PROTOCOLS 1.2): HTTP 200, a non-zero
    `data.error_code` and 验签失败."""
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["error_code"] != 0
    assert data["description"] == "验签失败"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"client_id": 1, "msg": [], "sign": {}}',
        b"\xff\xfe",
        b"x" * 100_000,
    ],
    ids=["empty", "broken", "array", "null", "wrong-types", "not-utf8", "100kb"],
)
def test_garbage_to_the_callbacks_is_a_uniform_refusal_not_a_crash(client, demo, raw):
    hooks = ("/hooks/weimall", "/hooks/douyin/spi/issue", "/hooks/douyin/webhook")
    for path in (*hooks, "/hooks/wechatpay/notify"):
        response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
        if "/spi/" in path:
            _douyin_spi_refused(response)
        else:
            assert (response.status_code, _code(response)) == (401, "invalid_signature"), path
