"""A store's staff when HQ disables their store (issue 18, point 9), on SQLite and PostgreSQL.

A manager whose only store is disabled has nothing to run: the console and the admin API refuse
their sign-in with `store_disabled` (the tills' code and words), and their running sessions end
at the next request. A manager of two stores with one disabled still signs in and still reads
the disabled store's history (reports, redemptions), but cannot act on it: every write there is
refused with `store_disabled`, while the open store works as before.
"""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import ADMIN_API, SEED_ORDER, bearer, demo_admin_headers, must_redeem, open_order

STORE_DISABLED_ZH = "门店已停用,本店的收银终端不能核销,也不能登录收银;请联系总部重新启用门店"


def _stores(client: TestClient, hq: dict[str, str]) -> dict[str, int]:
    return {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}


def _set_store(client: TestClient, hq: dict[str, str], store_id: int, active: bool) -> None:
    done = client.patch(f"{ADMIN_API}/stores/{store_id}", headers=hq, json={"active": active})
    assert done.status_code == 200, done.text


def _console_login(client: TestClient, username: str, password: str) -> Any:
    client.cookies.clear()
    return client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _till_of(client: TestClient, hq: dict[str, str], store_id: int) -> int:
    tills = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    return int(next(t["id"] for t in tills if t["store_id"] == store_id and t["active"]))


def test_a_manager_whose_only_store_is_disabled_is_refused_and_their_sessions_end(
    client: TestClient, demo: dict[str, Any]
) -> None:
    hq = demo_admin_headers(client, demo)
    manager = demo["store_manager"]
    huanggang = _stores(client, hq)["皇岗店"]
    page = _console_login(client, manager["user"], manager["password"])
    assert page.status_code == 303, page.text
    cookie = client.cookies["vb_console"]
    token = demo_admin_headers(client, demo, "store_manager")
    assert client.get("/console", headers={"Cookie": f"vb_console={cookie}"}).status_code == 200

    _set_store(client, hq, huanggang, active=False)
    client.cookies.clear()

    # The running sessions end at the next request: the page goes to sign-in, the API says why.
    ended = client.get(
        "/console", headers={"Cookie": f"vb_console={cookie}"}, follow_redirects=False
    )
    assert (ended.status_code, ended.headers["location"]) == (303, "/console/login?next=%2Fconsole")
    me = client.get(f"{ADMIN_API}/me", headers=token)
    assert me.status_code == 403
    assert (me.json()["error"]["code"], me.json()["error"]["message"]) == (
        "store_disabled",
        STORE_DISABLED_ZH,
    )

    # Signing in again is refused in the same words, on the page and on the API.
    again = _console_login(client, manager["user"], manager["password"])
    assert again.status_code != 303
    assert "vb_console" not in client.cookies
    assert STORE_DISABLED_ZH in _text(again.text)
    api = client.post(
        f"{ADMIN_API}/login", json={"username": manager["user"], "password": manager["password"]}
    )
    assert (api.status_code, api.json()["error"]["code"]) == (403, "store_disabled")
    english = client.post(
        f"{ADMIN_API}/login",
        json={"username": manager["user"], "password": manager["password"]},
        headers={"Accept-Language": "en"},
    )
    assert english.json()["error"]["message"].startswith("This store is disabled")
    # A wrong password learns nothing about the store.
    guess = client.post(f"{ADMIN_API}/login", json={"username": manager["user"], "password": "x"})
    assert (guess.status_code, guess.json()["error"]["code"]) == (401, "unauthorized")

    # HQ is not concerned, and opening the store again lets the manager back in.
    assert client.get(f"{ADMIN_API}/me", headers=hq).status_code == 200
    _set_store(client, hq, huanggang, active=True)
    assert _console_login(client, manager["user"], manager["password"]).status_code == 303
    assert client.get(f"{ADMIN_API}/me", headers=token).status_code == 200


def test_a_manager_of_two_stores_reads_the_disabled_ones_history_but_cannot_act_on_it(
    client: TestClient, demo: dict[str, Any]
) -> None:
    hq = demo_admin_headers(client, demo)
    stores = _stores(client, hq)
    huanggang, futian = stores["皇岗店"], stores["福田店"]
    created = client.post(
        f"{ADMIN_API}/users",
        headers=hq,
        json={
            "username": "laowang",
            "password": "two-stores-manager-1",
            "role": "store_manager",
            "store_ids": [huanggang, futian],
        },
    )
    assert created.status_code == 201, created.text
    till = bearer(demo["terminal_key"])  # 皇岗店's till: a redemption there is history
    order = open_order(client, till, SEED_ORDER["lines"])
    redeemed = must_redeem(client, till, demo["codes"]["cash"][0], order["id"])
    _set_store(client, hq, huanggang, active=False)

    signed_in = client.post(
        f"{ADMIN_API}/login", json={"username": "laowang", "password": "two-stores-manager-1"}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert sorted(signed_in.json()["user"]["store_ids"]) == sorted([huanggang, futian])
    mine = bearer(signed_in.json()["token"])

    # History: the disabled store is still listed, and its redemption is in the reports.
    listed = {s["id"]: s["active"] for s in client.get(f"{ADMIN_API}/stores", headers=mine).json()}
    assert listed == {huanggang: False, futian: True}
    history = client.get(f"{ADMIN_API}/redemptions?store_id={huanggang}", headers=mine)
    assert history.status_code == 200, history.text
    assert str(redeemed["id"]) in history.text

    # Acting on it is refused in words; the open store works as before.
    closed_till, open_till = _till_of(client, hq, huanggang), _till_of(client, hq, futian)
    body = {"host": "192.168.1.50", "port": 9100, "width_mm": 80}
    refused = client.put(f"{ADMIN_API}/terminals/{closed_till}/printer", json=body, headers=mine)
    assert refused.status_code == 403
    assert (refused.json()["error"]["code"], refused.json()["error"]["message"]) == (
        "store_disabled",
        STORE_DISABLED_ZH,
    )
    renamed = client.patch(
        f"{ADMIN_API}/stores/{huanggang}", json={"address": "新地址"}, headers=mine
    )
    assert (renamed.status_code, renamed.json()["error"]["code"]) == (403, "store_disabled")
    works = client.put(f"{ADMIN_API}/terminals/{open_till}/printer", json=body, headers=mine)
    assert works.status_code == 200, works.text

    # The console page says the same on the disabled store's till.
    page = _console_login(client, "laowang", "two-stores-manager-1")
    assert page.status_code == 303, page.text
    form = client.get(f"/console/terminals/{closed_till}/printer")
    assert form.status_code == 200
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert token
    posted = client.post(
        f"/console/terminals/{closed_till}/printer",
        data={"csrf": token.group(1), "action": "save", "printer_host": "192.168.1.50"},
        follow_redirects=False,
    )
    assert posted.status_code == 403  # the form again, the refusal above it in words
    assert STORE_DISABLED_ZH in _text(posted.text)
    shown = client.get(f"{ADMIN_API}/terminals/{closed_till}/printer", headers=hq).json()
    assert shown["host"] is None  # nothing was written
