"""What deactivating a merchant, closing a store or ending a cashier's session does beyond the
next request (tests/security/test_deactivation_matrix.py): nobody signs in to what is inactive and
no row is written for the refused sign-in; a till's own key survives its page's sign-out; a
cashier moved to another store loses the old store's counter; the operator switches a merchant
from the command line; reactivating a store or a merchant brings its tills back as they were."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.helpers import (
    ADMIN_API,
    SEED_ORDER,
    admin_login,
    bearer,
    demo_admin_headers,
    open_order,
    redeem,
)
from voucherbridge.bootstrap import Container
from voucherbridge.chain.merchants import deactivate_merchant, set_merchant_active
from voucherbridge.cli.main import app as cli
from voucherbridge.core import csrf
from voucherbridge.db import tables as t
from voucherbridge.domain.errors import DomainError, ErrorCode

CASHIER, PASSWORD = "xiaoli", "cashier-pass-1"
WEB_TERMINAL = f"网页收银台 · {CASHIER}"


def _setup(client: TestClient, demo: dict[str, Any]) -> dict[str, Any]:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    created = client.post(
        f"{ADMIN_API}/users",
        headers=hq,
        json={
            "username": CASHIER,
            "password": PASSWORD,
            "role": "cashier",
            "store_ids": [stores["皇岗店"]],
        },
    )
    assert created.status_code == 201, created.text
    merchant_id = client.get(f"{ADMIN_API}/me", headers=hq).json()["merchant"]["id"]
    client.cookies.clear()
    return {"hq": hq, "stores": stores, "user_id": created.json()["id"], "merchant": merchant_id}


def _cashier_login(client: TestClient) -> Any:
    response = client.post(
        "/cashier/login", data={"username": CASHIER, "password": PASSWORD}, follow_redirects=False
    )
    key = client.cookies.get("vb_cashier")
    client.cookies.clear()
    return response, key


def _count(container: Container, table: t.Table) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _sessions(container: Container) -> tuple[int, int]:
    return _count(container, t.terminals), _count(container, t.admin_tokens)


def _live_web_terminals(client: TestClient, hq: dict[str, str]) -> list[dict[str, Any]]:
    listed = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    return [x for x in listed if x["name"] == WEB_TERMINAL and x["active"]]


def _order_and_redeem(client: TestClient, key: str, code: str) -> Any:
    order = client.post("/api/v1/orders", json=SEED_ORDER, headers=bearer(key))
    if order.status_code != 201:
        return order
    return redeem(client, bearer(key), code, order.json()["id"])


def test_a_deactivated_merchants_people_and_tills_cannot_sign_in_and_nothing_is_handed_out(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    deactivate_merchant(
        container.uow(write=True), merchant_id=world["merchant"], now=container.clock()
    )
    before = _sessions(container)

    console = demo["console"]
    api = admin_login(client, console["user"], console["password"])
    assert api.status_code == 401
    error = api.json()["error"]
    assert (error["code"], error["message"]) == ("unauthorized", "未登录或密钥无效")
    page = client.post(
        "/console/login",
        data={"username": console["user"], "password": console["password"]},
        follow_redirects=False,
    )
    assert page.status_code == 401
    assert "未登录或密钥无效" in page.text
    assert "vb_console" not in client.cookies

    cashier, key = _cashier_login(client)
    assert cashier.status_code == 400
    assert "未登录或密钥无效" in cashier.text
    assert key is None
    till = client.post("/cashier/login", data={"key": demo["terminal_key"]}, follow_redirects=False)
    assert till.status_code == 400
    assert "未登录或密钥无效" in till.text
    assert "vb_cashier" not in client.cookies

    assert _sessions(container) == before  # no web terminal, no console token


def test_a_closed_store_opens_no_counter_for_its_cashier_nor_its_till(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    store = f"{ADMIN_API}/stores/{world['stores']['皇岗店']}"
    closed = client.patch(store, headers=world["hq"], json={"active": False})
    assert closed.status_code == 200, closed.text
    before = _sessions(container)

    cashier, key = _cashier_login(client)
    assert cashier.status_code == 400
    assert "门店已停用,本店的收银终端不能核销,也不能登录收银" in cashier.text  # says why
    assert key is None
    till = client.post("/cashier/login", data={"key": demo["terminal_key"]}, follow_redirects=False)
    assert till.status_code == 400
    assert "门店已停用" in till.text
    assert _sessions(container) == before

    # The other store's till is not concerned.
    other = client.post(
        "/cashier/login", data={"key": demo["terminal_keys"]["福田店"]}, follow_redirects=False
    )
    assert other.status_code == 303


def test_signing_out_of_a_tills_page_keeps_the_tills_key(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    key = demo["terminal_key"]
    signed_in = client.post("/cashier/login", data={"key": key}, follow_redirects=False)
    assert signed_in.status_code == 303
    token = csrf.token_for(container.settings.secret_key, key)
    out = client.post("/cashier/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert "vb_cashier" not in client.cookies
    # The till behind the counter still redeems with its key: only this browser left.
    done = _order_and_redeem(client, key, demo["codes"]["cash"][0])
    assert done.status_code == 201, done.text


def test_a_forged_sign_out_ends_nothing(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    _setup(client, demo)
    _, key = _cashier_login(client)
    forged = client.post(
        "/cashier/logout",
        data={"csrf_token": "0" * 64},
        headers={"Cookie": f"vb_cashier={key}"},
        follow_redirects=False,
    )
    assert forged.headers["location"] == "/cashier"
    assert open_order(client, bearer(key), SEED_ORDER["lines"])["status"] == "open"


def test_signing_out_while_the_store_is_closed_still_ends_the_session_for_good(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    _, key = _cashier_login(client)
    store = f"{ADMIN_API}/stores/{world['stores']['皇岗店']}"
    assert client.patch(store, headers=world["hq"], json={"active": False}).status_code == 200
    token = csrf.token_for(container.settings.secret_key, key)
    client.post(
        "/cashier/logout",
        data={"csrf_token": token},
        headers={"Cookie": f"vb_cashier={key}"},
        follow_redirects=False,
    )
    assert client.patch(store, headers=world["hq"], json={"active": True}).status_code == 200
    # The store is open again, its till works again, but the signed-out session stays over.
    again = client.post("/api/v1/orders", json=SEED_ORDER, headers=bearer(key))
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "unauthorized"
    till = _order_and_redeem(client, demo["terminal_key"], demo["codes"]["cash"][0])
    assert till.status_code == 201, till.text
    assert _live_web_terminals(client, world["hq"]) == []


def test_moving_a_cashier_to_another_store_ends_the_old_stores_counter(
    client: TestClient, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    _, key = _cashier_login(client)
    moved = client.patch(
        f"{ADMIN_API}/users/{world['user_id']}",
        headers=world["hq"],
        json={"store_ids": [world["stores"]["福田店"]]},
    )
    assert moved.status_code == 200, moved.text
    refused = _order_and_redeem(client, key, demo["codes"]["cash"][0])
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "未登录或密钥无效"

    # Signing in again opens a counter at the new store; the display name alone ends nothing.
    _, new_key = _cashier_login(client)
    [terminal] = _live_web_terminals(client, world["hq"])
    assert terminal["store_id"] == world["stores"]["福田店"]
    renamed = client.patch(
        f"{ADMIN_API}/users/{world['user_id']}", headers=world["hq"], json={"display_name": "小李"}
    )
    assert renamed.status_code == 200
    assert _live_web_terminals(client, world["hq"]) == [terminal]
    assert new_key is not None
    assert open_order(client, bearer(new_key), SEED_ORDER["lines"])["status"] == "open"


def test_reactivating_a_merchant_brings_its_tills_and_sessions_back(
    client: TestClient, container: Container, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    hq = world["hq"]
    deactivate_merchant(
        container.uow(write=True), merchant_id=world["merchant"], now=container.clock()
    )
    assert client.get(f"{ADMIN_API}/me", headers=hq).status_code == 401
    twice = deactivate_merchant(
        container.uow(write=True), merchant_id=world["merchant"], now=container.clock()
    )
    assert twice.active is False

    back = set_merchant_active(
        container.uow(write=True), merchant_id=world["merchant"], active=True, now=container.clock()
    )
    assert back.active is True
    assert client.get(f"{ADMIN_API}/me", headers=hq).status_code == 200
    done = _order_and_redeem(client, demo["terminal_key"], demo["codes"]["cash"][0])
    assert done.status_code == 201, done.text

    audit = client.get(f"{ADMIN_API}/audit", headers=hq, params={"action": "merchant.update"})
    assert audit.status_code == 200, audit.text
    changes = [(r["before"], r["after"]) for r in audit.json()["items"]]
    assert sorted(changes, key=str) == sorted(
        [({"active": True}, {"active": False}), ({"active": False}, {"active": True})], key=str
    )


def test_switching_a_merchant_that_does_not_exist_says_so(container: Container) -> None:
    with pytest.raises(DomainError) as refused:
        deactivate_merchant(container.uow(write=True), merchant_id=999, now=container.clock())
    assert refused.value.code is ErrorCode.NOT_FOUND


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("VOUCHERBRIDGE_LOG_LEVEL", "WARNING")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_the_operator_deactivates_and_reactivates_a_merchant_from_the_command_line(
    run: Any, client: TestClient, demo: dict[str, Any]
) -> None:
    world = _setup(client, demo)
    off = run("deactivate-merchant", str(world["merchant"]))
    assert off.exit_code == 0, off.output
    assert f"id={world['merchant']} is deactivated" in off.output
    refused = _order_and_redeem(client, demo["terminal_key"], demo["codes"]["cash"][0])
    assert refused.status_code == 401
    assert client.get(f"{ADMIN_API}/me", headers=world["hq"]).status_code == 401

    on = run("reactivate-merchant", str(world["merchant"]))
    assert on.exit_code == 0, on.output
    assert f"id={world['merchant']} is active" in on.output
    assert client.get(f"{ADMIN_API}/me", headers=world["hq"]).status_code == 200

    missing = run("deactivate-merchant", "999")
    assert missing.exit_code == 1
    assert "商户不存在" in missing.output
