"""Deactivation cuts access at the next request, on SQLite and PostgreSQL.

A cashier signed in on the cashier page (a web terminal of their own, its key in the vb_cashier
cookie) and on the console, and the two tills of the demo chain, each hold a live credential.
Then one thing happens: HQ deactivates the cashier or resets their password, the cashier signs
out, the terminals are revoked, the store is closed (the cashier's only one: their console
sessions end too, with `store_disabled`), another store is closed, the operator deactivates the
merchant. The very next request with each credential is either refused (the Terminal API: 401
`unauthorized` with the catalogue's Chinese message; a page: a redirect to its sign-in page)
with not one row of the database changed, or, where the event does not concern it, still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import ADMIN_API, SEED_ORDER, bearer, demo_admin_headers, open_order, redeem
from voucherbridge.bootstrap import Container
from voucherbridge.chain.merchants import deactivate_merchant
from voucherbridge.core import csrf
from voucherbridge.db.tables import metadata

CASHIER, PASSWORD = "xiaoli", "cashier-pass-1"
WEB_TERMINAL = f"网页收银台 · {CASHIER}"
UNAUTHORIZED_ZH = "未登录或密钥无效"
# A till of a closed store is told why, not that its key is unknown (issue 18, point 9).
STORE_DISABLED = (
    403,
    "store_disabled",
    "门店已停用,本店的收银终端不能核销,也不能登录收银;请联系总部重新启用门店",
)

# Every credential the world holds, and how its next request is made.
WEB_KEY = "web key: Terminal API redeem (Bearer)"
COOKIE = "cashier cookie: Terminal API redeem (cookie + CSRF token)"
CASHIER_PAGE = "cashier cookie: the cashier page"
CONSOLE_PAGE = "console cookie: the console page"
ADMIN_TOKEN = "console token: the admin API"
TILL = "皇岗店 till key: Terminal API redeem"
OTHER_TILL = "福田店 till key: Terminal API redeem"
SURFACES = (
    WEB_KEY,
    COOKIE,
    CASHIER_PAGE,
    CONSOLE_PAGE,
    ADMIN_TOKEN,
    TILL,
    OTHER_TILL,
)
CASHIER_SESSION = {WEB_KEY, COOKIE, CASHIER_PAGE}
CONSOLE_SESSION = {CONSOLE_PAGE, ADMIN_TOKEN}

# What each event must cut off; every other credential keeps working.
REFUSED: dict[str, set[str]] = {
    "user deactivated": CASHIER_SESSION | CONSOLE_SESSION,
    "password reset by HQ": CASHIER_SESSION | CONSOLE_SESSION,
    "cashier signed out": CASHIER_SESSION,
    "console signed out": CONSOLE_SESSION,
    "terminals revoked": CASHIER_SESSION | {TILL},
    # The cashier's only store: staff with no open store have nothing to run, console included.
    "store deactivated": CASHIER_SESSION | CONSOLE_SESSION | {TILL},
    "another store deactivated": {OTHER_TILL},
    "merchant deactivated": set(SURFACES),
}

STORE_EVENTS = ("store deactivated", "another store deactivated")


@dataclass
class World:
    """The cashier's credentials, the tills' keys, an open order and a fresh code for each."""

    hq: dict[str, str]
    merchant_id: int
    store_id: int
    user_id: int
    other_store_id: int
    web_key: str
    web_terminal_id: int
    till_key: str
    till_terminal_id: int
    other_till_key: str
    console_cookie: str
    api_token: str
    orders: dict[str, int]
    codes: dict[str, str]


def _no_cookies(client: TestClient) -> None:
    client.cookies.clear()  # every request below names its credential itself


def _cashier_cookie(key: str) -> dict[str, str]:
    return {"Cookie": f"vb_cashier={key}"}


def _page_token(container: Container, secret: str) -> str:
    return csrf.token_for(container.settings.secret_key, secret)


def _page_call(container: Container, key: str) -> dict[str, str]:
    """What the cashier page's script sends: the cookie and the page's CSRF token."""
    return {**_cashier_cookie(key), "X-CSRF-Token": _page_token(container, key)}


@pytest.fixture
def world(client: TestClient, container: Container, demo: dict[str, Any]) -> World:
    hq = demo_admin_headers(client, demo)
    merchant_id = client.get(f"{ADMIN_API}/me", headers=hq).json()["merchant"]["id"]
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    store_id = stores["皇岗店"]
    created = client.post(
        f"{ADMIN_API}/users",
        headers=hq,
        json={
            "username": CASHIER,
            "password": PASSWORD,
            "role": "cashier",
            "store_ids": [store_id],
        },
    )
    assert created.status_code == 201, created.text
    _no_cookies(client)

    signed_in = client.post(
        "/cashier/login", data={"username": CASHIER, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    web_key = client.cookies["vb_cashier"]
    _no_cookies(client)
    console = client.post(
        "/console/login", data={"username": CASHIER, "password": PASSWORD}, follow_redirects=False
    )
    assert console.status_code == 303, console.text
    console_cookie = client.cookies["vb_console"]
    _no_cookies(client)
    api = client.post(f"{ADMIN_API}/login", json={"username": CASHIER, "password": PASSWORD})
    assert api.status_code == 200, api.text

    terminals = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    [web_terminal] = [t for t in terminals if t["name"] == WEB_TERMINAL and t["active"]]
    till_terminal = next(
        t for t in terminals if t["store_id"] == store_id and t["name"] != WEB_TERMINAL
    )
    till_key = demo["terminal_key"]
    other_till_key = demo["terminal_keys"]["福田店"]
    cookie_call = _page_call(container, web_key)
    orders = {
        WEB_KEY: open_order(client, bearer(web_key), SEED_ORDER["lines"])["id"],
        COOKIE: open_order(client, cookie_call, SEED_ORDER["lines"])["id"],
        TILL: open_order(client, bearer(till_key), SEED_ORDER["lines"])["id"],
        OTHER_TILL: open_order(client, bearer(other_till_key), SEED_ORDER["lines"])["id"],
    }
    cash = demo["codes"]["cash"]
    codes = dict(zip((WEB_KEY, COOKIE, TILL, OTHER_TILL), cash, strict=False))
    return World(
        hq=hq,
        merchant_id=merchant_id,
        store_id=store_id,
        user_id=created.json()["id"],
        other_store_id=stores["福田店"],
        web_key=web_key,
        web_terminal_id=web_terminal["id"],
        till_key=till_key,
        till_terminal_id=till_terminal["id"],
        other_till_key=other_till_key,
        console_cookie=console_cookie,
        api_token=api.json()["token"],
        orders=orders,
        codes=codes,
    )


def _happen(event: str, client: TestClient, container: Container, w: World) -> None:
    """The event, done the way HQ, the cashier or the operator does it."""
    users = f"{ADMIN_API}/users/{w.user_id}"
    if event == "user deactivated":
        done = client.patch(users, headers=w.hq, json={"active": False})
        assert done.status_code == 200, done.text
    elif event == "password reset by HQ":
        done = client.patch(users, headers=w.hq, json={"password": "a-brand-new-pass"})
        assert done.status_code == 200, done.text
    elif event == "cashier signed out":
        out = client.post(
            "/cashier/logout",
            data={"csrf_token": _page_token(container, w.web_key)},
            headers=_cashier_cookie(w.web_key),
            follow_redirects=False,
        )
        assert (out.status_code, out.headers["location"]) == (303, "/cashier/login")
    elif event == "console signed out":
        page_out = client.post(
            "/console/logout",
            data={"csrf": _page_token(container, w.console_cookie)},
            headers={"Cookie": f"vb_console={w.console_cookie}"},
            follow_redirects=False,
        )
        assert (page_out.status_code, page_out.headers["location"]) == (303, "/console/login")
        api_out = client.post(f"{ADMIN_API}/logout", headers=bearer(w.api_token))
        assert api_out.status_code == 204, api_out.text
    elif event == "terminals revoked":
        for terminal_id in (w.web_terminal_id, w.till_terminal_id):
            done = client.post(f"{ADMIN_API}/terminals/{terminal_id}/revoke", headers=w.hq)
            assert done.status_code == 200, done.text
    elif event in STORE_EVENTS:
        store_id = w.store_id if event == "store deactivated" else w.other_store_id
        done = client.patch(f"{ADMIN_API}/stores/{store_id}", headers=w.hq, json={"active": False})
        assert done.status_code == 200, done.text
    elif event == "merchant deactivated":
        status = deactivate_merchant(
            container.uow(write=True), merchant_id=w.merchant_id, now=container.clock()
        )
        assert status.active is False
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(event)
    _no_cookies(client)


def _call(surface: str, client: TestClient, container: Container, w: World) -> Any:
    """The next request of one credential."""
    if surface == WEB_KEY:
        return redeem(client, bearer(w.web_key), w.codes[surface], w.orders[surface])
    if surface == COOKIE:
        return redeem(client, _page_call(container, w.web_key), w.codes[surface], w.orders[surface])
    if surface == CASHIER_PAGE:
        return client.get("/cashier", headers=_cashier_cookie(w.web_key), follow_redirects=False)
    if surface == CONSOLE_PAGE:
        return client.get(
            "/console",
            headers={"Cookie": f"vb_console={w.console_cookie}"},
            follow_redirects=False,
        )
    if surface == ADMIN_TOKEN:
        return client.get(f"{ADMIN_API}/me", headers=bearer(w.api_token))
    key = w.till_key if surface == TILL else w.other_till_key
    return redeem(client, bearer(key), w.codes[surface], w.orders[surface])


def _assert_refused(surface: str, response: Any, event: str = "") -> None:
    if surface == CASHIER_PAGE:
        assert response.status_code == 303, (surface, response.text)
        assert response.headers["location"] == "/cashier/login"
        assert 'vb_cashier=""' in response.headers.get("set-cookie", "")  # the dead key goes
    elif surface == CONSOLE_PAGE:
        assert response.status_code == 303, (surface, response.text)
        assert response.headers["location"] == "/console/login?next=%2Fconsole"
    elif event in STORE_EVENTS:
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["message"]) == STORE_DISABLED, surface
    else:
        assert response.status_code == 401, (surface, response.text)
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("unauthorized", UNAUTHORIZED_ZH), surface


def _assert_works(surface: str, response: Any) -> None:
    expected = 201 if surface in (WEB_KEY, COOKIE, TILL, OTHER_TILL) else 200
    assert response.status_code == expected, (surface, response.text)


def _every_row(container: Container) -> dict[str, list[str]]:
    with container.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            for table in metadata.sorted_tables
        }


@pytest.mark.parametrize("event", list(REFUSED))
def test_the_next_request_after_the_event_is_refused_and_writes_nothing(
    event: str, client: TestClient, container: Container, world: World
) -> None:
    for surface in SURFACES:  # all live before the event (pages and reads only: no writes)
        if surface in (CASHIER_PAGE, CONSOLE_PAGE, ADMIN_TOKEN):
            _assert_works(surface, _call(surface, client, container, world))

    _happen(event, client, container, world)

    refused = REFUSED[event]
    before = _every_row(container)
    for surface in SURFACES:
        if surface in refused:
            _assert_refused(surface, _call(surface, client, container, world), event)
    assert _every_row(container) == before, f"{event}: a refused request wrote something"

    for surface in SURFACES:
        if surface not in refused:
            _assert_works(surface, _call(surface, client, container, world))


def test_a_refused_redemption_leaves_the_code_to_redeem_later_at_a_live_till(
    client: TestClient, container: Container, world: World
) -> None:
    # The cashier's page is gone with their deactivation; the same code still works at a till.
    _happen("user deactivated", client, container, world)
    code = world.codes[WEB_KEY]
    assert redeem(client, bearer(world.web_key), code, world.orders[WEB_KEY]).status_code == 401
    again = redeem(client, bearer(world.till_key), code, world.orders[TILL])
    assert again.status_code == 201, again.text
