"""The scope matrix's world and rows: every admin write route, on objects of every scope.

A scope is the set of stores an object is used in. The demo chain has two stores: 皇岗店, whose
manager signs in as `store_manager`, and 福田店. HQ builds one object of each scope the route
can name (a template for every store, one for 皇岗店, one for 福田店, one for both...), then
each role tries the route on each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.helpers import ADMIN_API, Headers
from voucherbridge.bootstrap import Container
from voucherbridge.domain.records import OutboxMessage
from voucherbridge.outbox.repository import OutboxRepo

HQ, MANAGER, CASHIER = "hq_admin", "store_manager", "cashier"
ROLES = (HQ, MANAGER, CASHIER)
# Scopes: the whole chain (an empty store list), the manager's store, the other store, both.
CHAIN, OWN, OTHER, MIXED = "chain-wide", "own store", "other store", "own+other"
ALL_SCOPES = (CHAIN, OWN, OTHER, MIXED)
ONE_STORE = (OWN, OTHER)
PASSWORD = "Kq7!xV2m#Lp9wR"  # hard to guess: passes the password strength rule
CASHIER_NAME, CASHIER_PASSWORD = "scope-cashier", PASSWORD
FORBIDDEN_ZH = "没有权限执行此操作"


@dataclass(frozen=True)
class World:
    """Ids of the objects of each scope, built by HQ; `stores[scope]` is the scope's store list."""

    stores: dict[str, list[int]]
    templates: dict[str, int]
    listings: dict[str, int]
    terminals: dict[str, int]
    users: dict[str, int]
    mover: int  # a template of the manager's store, for moving into other scopes
    outbox: int  # a dead outbox row


Call = Callable[[World, str, str], tuple[str, Any]]  # (world, scope, tag) -> (path, body)


@dataclass(frozen=True)
class Upload:
    """A multipart body (form fields and one file) where a route takes an upload."""

    data: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]


def statement_upload(store_id: int) -> Upload:
    """An empty micro-mall statement of one store's day, to reconcile against."""
    day = {"platform": "weimall", "store_id": str(store_id), "date": "2026-12-01"}
    return Upload(day, {"file": ("statement.csv", b"code,amount_fen\n", "text/csv")})


@dataclass(frozen=True)
class Row:
    """One write of one admin route, tried on an object of each of `scopes`.

    `manager`: the scopes a store manager may change with it; HQ may change all of them and a
    cashier none. `ok`: the status of a write that is allowed."""

    method: str
    route: str
    name: str
    scopes: tuple[str, ...]
    call: Call
    manager: frozenset[str] = frozenset({OWN})
    ok: int = 200


def template_body(name: str, store_ids: list[int]) -> dict[str, Any]:
    return {
        "kind": "cash",
        "name": name,
        "face_value_fen": 10000,
        "price_fen": 6000,
        "validity_mode": "relative",
        "valid_days": 30,
        "store_ids": store_ids,
    }


def user_body(tag: str, store_ids: list[int]) -> dict[str, Any]:
    """A new HQ admin for the chain-wide scope, else a cashier of the scope's stores."""
    role = "cashier" if store_ids else "hq_admin"
    return {"username": f"u-{tag}", "password": PASSWORD, "role": role, "store_ids": store_ids}


def _binding(w: World, scope: str) -> dict[str, Any]:
    """The store's own micro-mall store again (wm-store-1 for 皇岗店, wm-store-2 for 福田店)."""
    store = w.stores[scope][0]
    number = 1 if scope == OWN else 2
    return {
        "store_id": store,
        "platform": "weimall",
        "platform_store_id": f"wm-store-{number}",
        "secret": "wm-secret-1",
    }


A = ADMIN_API
NOBODY: frozenset[str] = frozenset()
# In the order the allowed writes run: deactivations and revocations last.
ROWS: tuple[Row, ...] = (
    Row("POST", f"{A}/stores", "open a store", (CHAIN,),
        lambda w, s, t: (f"{A}/stores", {"name": f"新店-{t}"}), NOBODY, 201),
    Row("PATCH", f"{A}/stores/{{store_id}}", "edit a store", ONE_STORE,
        lambda w, s, t: (f"{A}/stores/{w.stores[s][0]}", {"address": f"地址-{t}"})),
    Row("POST", f"{A}/items", "add an item", (CHAIN,),
        lambda w, s, t: (
            f"{A}/items",
            {"item_code": f"N-{t}", "name": "新菜", "unit": "份", "unit_price_fen": 100},
        ), NOBODY, 201),
    Row("PATCH", f"{A}/items/{{item_code}}", "reprice an item", (CHAIN,),
        lambda w, s, t: (f"{A}/items/BEER01", {"unit_price_fen": 1}), NOBODY),
    Row("POST", f"{A}/terminals", "issue a till", ONE_STORE,
        lambda w, s, t: (f"{A}/terminals", {"store_id": w.stores[s][0], "name": f"台-{t}"}),
        ok=201),
    Row("PATCH", f"{A}/terminals/{{terminal_id}}", "rename a till", ONE_STORE,
        lambda w, s, t: (f"{A}/terminals/{w.terminals[s]}", {"name": f"台-{t}"})),
    Row("POST", f"{A}/users", "create a user", ALL_SCOPES,
        lambda w, s, t: (f"{A}/users", user_body(t, w.stores[s])), NOBODY, 201),
    Row("PATCH", f"{A}/users/{{user_id}}", "rename a user", ALL_SCOPES,
        lambda w, s, t: (f"{A}/users/{w.users[s]}", {"display_name": f"名-{t}"}), NOBODY),
    Row("POST", f"{A}/templates", "create a template", ALL_SCOPES,
        lambda w, s, t: (f"{A}/templates", template_body(f"券-{t}", w.stores[s])), ok=201),
    Row("PATCH", f"{A}/templates/{{template_id}}", "raise a template's face value", ALL_SCOPES,
        lambda w, s, t: (
            f"{A}/templates/{w.templates[s]}", {"name": f"券-{t}", "face_value_fen": 50000}
        )),
    Row("PATCH", f"{A}/templates/{{template_id}}", "move a template into own store", ALL_SCOPES,
        lambda w, s, t: (f"{A}/templates/{w.templates[s]}", {"store_ids": w.stores[OWN]})),
    Row("PATCH", f"{A}/templates/{{template_id}}", "move an own-store template to", ALL_SCOPES,
        lambda w, s, t: (f"{A}/templates/{w.mover}", {"store_ids": w.stores[s]})),
    Row("POST", f"{A}/listings", "list a template", ALL_SCOPES,
        lambda w, s, t: (
            f"{A}/listings",
            {"template_id": w.templates[s], "platform": "weimall", "title": f"关联-{t}"},
        ), ok=201),
    Row("PATCH", f"{A}/listings/{{listing_id}}", "retitle a listing", ALL_SCOPES,
        lambda w, s, t: (f"{A}/listings/{w.listings[s]}", {"title": f"关联-{t}"})),
    Row("POST", f"{A}/listings/{{listing_id}}/codes", "mint codes", ALL_SCOPES,
        lambda w, s, t: (
            f"{A}/listings/{w.listings[s]}/codes", {"quantity": 2, "reference": f"ref-{t}"}
        ), ok=201),
    Row("POST", f"{A}/bindings", "bind a store", ONE_STORE,
        lambda w, s, t: (f"{A}/bindings", _binding(w, s)), ok=201),
    Row("POST", f"{A}/reconciliations", "reconcile a store's day", ONE_STORE,
        lambda w, s, t: (
            f"{A}/reconciliations",
            {"platform": "weimall", "store_id": w.stores[s][0], "date": "2026-12-01"},
        ), ok=201),
    Row("POST", f"{A}/reconciliations/upload", "upload a store's statement", ONE_STORE,
        lambda w, s, t: (f"{A}/reconciliations/upload", statement_upload(w.stores[s][0])),
        ok=201),
    Row("POST", f"{A}/outbox/{{outbox_id}}/retry", "retry a dead outbox row", (CHAIN,),
        lambda w, s, t: (f"{A}/outbox/{w.outbox}/retry", None), NOBODY),
    Row("PATCH", f"{A}/templates/{{template_id}}", "deactivate a template", ALL_SCOPES,
        lambda w, s, t: (f"{A}/templates/{w.templates[s]}", {"active": False})),
    Row("PATCH", f"{A}/listings/{{listing_id}}", "deactivate a listing", ALL_SCOPES,
        lambda w, s, t: (f"{A}/listings/{w.listings[s]}", {"active": False})),
    Row("PUT", f"{A}/terminals/{{terminal_id}}/printer", "set a till's printer", ONE_STORE,
        lambda w, s, t: (f"{A}/terminals/{w.terminals[s]}/printer", {"host": f"p-{t}.lan"})),
    Row("POST", f"{A}/terminals/{{terminal_id}}/revoke", "revoke a till", ONE_STORE,
        lambda w, s, t: (f"{A}/terminals/{w.terminals[s]}/revoke", None)),
)  # fmt: skip


def allowed(role: str, row: Row, scope: str) -> bool:
    return role == HQ or (role == MANAGER and scope in row.manager)


def build_world(client: Any, container: Container, hq: Headers) -> World:
    """HQ's objects of every scope, made through the admin API (and one dead outbox row)."""
    by_name = {s["name"]: s["id"] for s in client.get(f"{A}/stores", headers=hq).json()}
    own, other = by_name["皇岗店"], by_name["福田店"]
    stores = {CHAIN: [], OWN: [own], OTHER: [other], MIXED: [own, other]}

    def made(path: str, body: dict[str, Any]) -> int:
        response = client.post(f"{A}/{path}", json=body, headers=hq)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    templates = {s: made("templates", template_body(f"范围-{s}", stores[s])) for s in ALL_SCOPES}
    listings = {
        s: made("listings", {"template_id": templates[s], "platform": "weimall", "title": s})
        for s in ALL_SCOPES
    }
    terminals = {s: made("terminals", {"store_id": stores[s][0], "name": s}) for s in ONE_STORE}
    users = {s: made("users", user_body(f"seed-{i}", stores[s])) for i, s in enumerate(ALL_SCOPES)}
    cashier = {
        "username": CASHIER_NAME,
        "password": CASHIER_PASSWORD,
        "role": "cashier",
        "store_ids": [own],
    }
    made("users", cashier)
    mover = made("templates", template_body("皇岗店专用", [own]))
    merchant_id = int(client.get(f"{A}/me", headers=hq).json()["merchant"]["id"])
    dead = _dead_row(container, merchant_id)
    return World(stores, templates, listings, terminals, users, mover, dead)


def _dead_row(container: Container, merchant_id: int) -> int:
    now = container.clock()
    with container.uow(write=True) as uow:
        message = OutboxMessage(merchant_id, "voucher.redeemed", "weimall", "scope-matrix", {})
        uow.repo(OutboxRepo).add(message, now)
        [row] = uow.repo(OutboxRepo).claim(now, 1, now + timedelta(minutes=2))
        assert row.dedupe_key == "scope-matrix"
        uow.repo(OutboxRepo).mark_dead(row.id, "platform said no")
        uow.commit()
    return row.id
