"""Store managers change only what lies wholly inside their stores, on SQLite and PostgreSQL.

Issue 14, point 1: a manager took over an HQ template for every store by sending their own
store in the same PATCH, raised its face value, then deactivated HQ's listing and minted codes
on it. The rule now: HQ changes anything of its merchant; a store manager changes an object only
when its stores are all theirs, before and after the change (a template for the whole chain,
the item catalogue, users, new stores, the outbox are HQ's); a cashier changes nothing. Every
admin write route has rows in `ROWS` (tests/security/_scope.py), and
`test_every_admin_write_route_has_a_scope_row` fails for a route without one. A refusal is
403 `forbidden` with the catalogue's Chinese message, and not one row of the database changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from tests.conftest import settings_for
from tests.helpers import ADMIN_API, Headers, admin_headers, demo_admin_headers
from tests.security._scope import (
    CASHIER,
    CASHIER_NAME,
    CASHIER_PASSWORD,
    CHAIN,
    FORBIDDEN_ZH,
    HQ,
    MANAGER,
    OWN,
    ROLES,
    ROWS,
    Upload,
    World,
    allowed,
    build_world,
)
from voucherbridge.bootstrap import Container
from voucherbridge.config import Settings
from voucherbridge.db.tables import metadata
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app

# Signing in and out act on the caller's own session, never on a shared object.
OWN_SESSION = {("POST", f"{ADMIN_API}/login"), ("POST", f"{ADMIN_API}/logout")}


@pytest.fixture(scope="module")
def weimall_server() -> Iterator[ServerThread]:
    """The micro-mall simulator (stores wm-store-1 and -2): a binding is tested against it."""
    with ServerThread(weimall_app()) as server:
        yield server


@pytest.fixture
def settings(database_url: str, weimall_server: ServerThread) -> Settings:
    return settings_for(database_url).model_copy(
        update={"weimall_base_url": weimall_server.base_url}
    )


@pytest.fixture
def hq(client: Any, demo: dict[str, Any]) -> Headers:
    return demo_admin_headers(client, demo)


@pytest.fixture
def world(client: Any, container: Container, hq: Headers) -> World:
    return build_world(client, container, hq)


def _send(client: Any, method: str, path: str, body: Any, who: Headers) -> Any:
    if isinstance(body, Upload):
        return client.request(method, path, data=body.data, files=body.files, headers=who)
    return client.request(method, path, json=body, headers=who)


def _signed_in(client: Any, demo: dict[str, Any], hq: Headers, role: str) -> Headers:
    if role == HQ:
        return hq
    if role == MANAGER:
        return demo_admin_headers(client, demo, "store_manager")
    return admin_headers(client, CASHIER_NAME, CASHIER_PASSWORD)


def _every_row(container: Container) -> dict[str, list[str]]:
    with container.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
        }


def _refusal(response: Any) -> tuple[int, str, str]:
    error = response.json().get("error", {})
    return response.status_code, error.get("code"), error.get("message")


def test_every_admin_write_route_has_a_scope_row(app: Any) -> None:
    writes = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if (route.path or "").startswith(f"{ADMIN_API}/")
        for method in route.methods or ()
        if method not in ("GET", "HEAD")
    }
    assert writes - OWN_SESSION == {(row.method, row.route) for row in ROWS}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_changes_exactly_the_objects_in_its_scope(
    role: str, client: Any, container: Container, demo: dict[str, Any], hq: Headers, world: World
) -> None:
    who = _signed_in(client, demo, hq, role)
    cells = [(row, scope) for row in ROWS for scope in row.scopes]
    seen = _every_row(container)
    for number, (row, scope) in enumerate(c for c in cells if not allowed(role, *c)):
        path, body = row.call(world, scope, f"{role[:2]}-no{number}")
        response = _send(client, row.method, path, body, who)
        cell = f"{role}: {row.name} ({scope}): {response.text}"
        assert _refusal(response) == (403, "forbidden", FORBIDDEN_ZH), cell
        assert _every_row(container) == seen, f"{cell}: refused, yet the database changed"
    for number, (row, scope) in enumerate(c for c in cells if allowed(role, *c)):
        path, body = row.call(world, scope, f"{role[:2]}-ok{number}")
        response = _send(client, row.method, path, body, who)
        cell = f"{role}: {row.name} ({scope}): {response.text}"
        assert response.status_code == row.ok, cell
        now = _every_row(container)
        assert now != seen, f"{cell}: allowed, yet nothing was written"
        seen = now


def test_a_manager_keeps_reading_what_applies_to_their_store(
    client: Any, demo: dict[str, Any], world: World
) -> None:
    manager = demo_admin_headers(client, demo, "store_manager")
    listed = client.get(f"{ADMIN_API}/templates", headers=manager).json()
    assert {t["id"] for t in listed} >= {world.templates[CHAIN], world.templates[OWN]}
    chain_wide = client.get(f"{ADMIN_API}/templates/{world.templates[CHAIN]}", headers=manager)
    assert chain_wide.status_code == 200, chain_wide.text
    own_listing = client.get(f"{ADMIN_API}/listings/{world.listings[OWN]}", headers=manager)
    assert own_listing.status_code == 200, own_listing.text
    items = client.get(f"{ADMIN_API}/items", headers=manager).json()
    assert "BEER01" in {i["item_code"] for i in items}


def test_the_reported_attack_on_an_hq_template_is_refused_and_changes_nothing(
    client: Any, container: Container, demo: dict[str, Any], hq: Headers, world: World
) -> None:
    manager = demo_admin_headers(client, demo, "store_manager")
    template, listing = world.templates[CHAIN], world.listings[CHAIN]
    before = _every_row(container)

    takeover = client.patch(
        f"{ADMIN_API}/templates/{template}",
        json={"store_ids": world.stores[OWN], "face_value_fen": 50000},
        headers=manager,
    )
    assert _refusal(takeover) == (403, "forbidden", FORBIDDEN_ZH), takeover.text
    switch_off = client.patch(
        f"{ADMIN_API}/listings/{listing}", json={"active": False}, headers=manager
    )
    assert _refusal(switch_off) == (403, "forbidden", FORBIDDEN_ZH), switch_off.text
    mint = client.post(
        f"{ADMIN_API}/listings/{listing}/codes",
        json={"quantity": 5, "reference": "attack"},
        headers=manager,
    )
    assert _refusal(mint) == (403, "forbidden", FORBIDDEN_ZH), mint.text

    assert _every_row(container) == before
    kept = client.get(f"{ADMIN_API}/templates/{template}", headers=hq).json()
    assert (kept["store_ids"], kept["face_value_fen"], kept["active"]) == ([], 10000, True)
    assert client.get(f"{ADMIN_API}/listings/{listing}", headers=hq).json()["active"] is True


def test_a_cashier_signed_in_to_the_admin_api_changes_nothing_even_in_their_store(
    client: Any, world: World
) -> None:
    cashier = admin_headers(client, CASHIER_NAME, CASHIER_PASSWORD)
    me = client.get(f"{ADMIN_API}/me", headers=cashier).json()
    assert (me["role"], me["store_ids"]) == (CASHIER, world.stores[OWN])
    renamed = client.patch(
        f"{ADMIN_API}/stores/{world.stores[OWN][0]}", json={"name": "收银员改的"}, headers=cashier
    )
    assert _refusal(renamed) == (403, "forbidden", FORBIDDEN_ZH), renamed.text
