"""Passwords that are easy to guess are refused wherever a password is set: a new user and a
reset through the admin API (HQ resetting its own included), a new merchant's first HQ admin
and a new user from the command line. "Easy" counts what a guesser knows about the chain: its
name, its stores, the person's own name, the trade ("hotpot2024" at a 火锅 chain)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import ADMIN_API, admin_login, demo_admin_headers
from voucherbridge.chain.passwords import check_strength
from voucherbridge.cli.main import app as cli
from voucherbridge.demo import seed

WEAK_ZH = "密码太容易被猜到,请换一个更长、更少见的密码"
WEAK_EN = "This password is too easy to guess; choose a longer, less common one"
NEW_USER = "xiaoli"
# Each is 8 characters or more: the length rule alone lets them all through.
WEAK = [
    pytest.param("password", id="the-commonest-password"),
    pytest.param("12345678", id="digits"),
    pytest.param("火锅店123456", id="the-trade-in-chinese-and-digits"),
    pytest.param("hotpot2024", id="the-trade-in-english-and-a-year"),
    pytest.param("右姑娘火锅888", id="the-merchant-name-and-digits"),
    pytest.param("皇岗店2024!", id="a-store-name-and-a-year"),
    pytest.param(f"{NEW_USER}2024", id="the-username-and-a-year"),
    pytest.param(f"{NEW_USER}123456", id="the-username-and-digits"),
]
STRONG = "lantern-orchid-73"


def _refused_as_weak(response: Any, message: str = WEAK_ZH) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "password_weak",
        "message": message,
        "details": {"field": "password"},
    }


@pytest.fixture
def store_id(client: Any, demo: dict[str, Any]) -> int:
    stores = client.get(f"{ADMIN_API}/stores", headers=demo_admin_headers(client, demo)).json()
    return int(next(s["id"] for s in stores if s["name"] == "福田店"))


def _new_cashier(password: str, store_id: int) -> dict[str, Any]:
    return {"username": NEW_USER, "password": password, "role": "cashier", "store_ids": [store_id]}


@pytest.mark.parametrize("password", WEAK)
def test_a_weak_password_is_refused_for_a_new_user_and_nobody_is_created(
    client: Any, demo: dict[str, Any], store_id: int, password: str
) -> None:
    hq = demo_admin_headers(client, demo)
    refused = client.post(f"{ADMIN_API}/users", json=_new_cashier(password, store_id), headers=hq)
    _refused_as_weak(refused)
    names = {u["username"] for u in client.get(f"{ADMIN_API}/users", headers=hq).json()}
    assert NEW_USER not in names
    assert admin_login(client, NEW_USER, password).status_code == 401


def test_the_refusal_speaks_english_when_asked(
    client: Any, demo: dict[str, Any], store_id: int
) -> None:
    hq = {**demo_admin_headers(client, demo), "Accept-Language": "en"}
    refused = client.post(
        f"{ADMIN_API}/users", json=_new_cashier("hotpot2024", store_id), headers=hq
    )
    _refused_as_weak(refused, WEAK_EN)


def test_a_strong_password_makes_a_user_who_signs_in_with_it(
    client: Any, demo: dict[str, Any], store_id: int
) -> None:
    hq = demo_admin_headers(client, demo)
    made = client.post(f"{ADMIN_API}/users", json=_new_cashier(STRONG, store_id), headers=hq)
    assert made.status_code == 201, made.text
    assert admin_login(client, NEW_USER, STRONG).status_code == 200


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("huanggang123", id="their-username-and-digits"),
        pytest.param("皇岗店店长2024", id="their-display-name-and-a-year"),
        pytest.param("hotpot2024", id="the-trade-and-a-year"),
    ],
)
def test_a_reset_to_a_weak_password_is_refused_and_the_old_one_still_works(
    client: Any, demo: dict[str, Any], password: str
) -> None:
    hq = demo_admin_headers(client, demo)
    manager = demo["store_manager"]
    users = client.get(f"{ADMIN_API}/users", headers=hq).json()
    target = next(u for u in users if u["username"] == manager["user"])
    refused = client.patch(
        f"{ADMIN_API}/users/{target['id']}", json={"password": password}, headers=hq
    )
    _refused_as_weak(refused)
    assert admin_login(client, manager["user"], manager["password"]).status_code == 200
    assert admin_login(client, manager["user"], password).status_code == 401


def test_hq_changing_its_own_password_keeps_the_rule(client: Any, demo: dict[str, Any]) -> None:
    hq = demo_admin_headers(client, demo)
    me = client.get(f"{ADMIN_API}/me", headers=hq).json()
    own = f"{ADMIN_API}/users/{me['id']}"
    _refused_as_weak(client.patch(own, json={"password": "admin2024"}, headers=hq))
    changed = client.patch(own, json={"password": STRONG}, headers=hq)
    assert changed.status_code == 200, changed.text
    assert admin_login(client, demo["console"]["user"], STRONG).status_code == 200


def test_short_passwords_still_get_the_length_rule(
    client: Any, demo: dict[str, Any], store_id: int
) -> None:
    hq = demo_admin_headers(client, demo)
    short = client.post(f"{ADMIN_API}/users", json=_new_cashier("x7!", store_id), headers=hq)
    assert short.status_code == 422
    assert short.json()["error"]["code"] == "validation_error"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("VOUCHERBRIDGE_LOG_LEVEL", "WARNING")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("name", "password"),
    [
        pytest.param("望京烤鸭", "password1", id="common"),
        pytest.param("望京烤鸭", "wangjing2026", id="the-username-and-a-year"),
        pytest.param("望京烤鸭", "望京烤鸭2026", id="the-merchant-name-and-a-year"),
    ],
)
def test_create_merchant_refuses_a_weak_first_password(run: Any, name: str, password: str) -> None:
    made = run("create-merchant", name, "--username", "wangjing", "--password", password)
    assert made.exit_code == 1
    assert f"password_weak: {WEAK_ZH}" in made.output
    strong = run("create-merchant", name, "--username", "wangjing", "--password", STRONG)
    assert strong.exit_code == 0, strong.output


def test_create_user_refuses_a_weak_password(
    run: Any, client: Any, demo: dict[str, Any], store_id: int
) -> None:
    args = ["create-user", NEW_USER, "--role", "cashier", "--store-id", str(store_id)]
    weak = run(*args, "--password", f"{NEW_USER}2024")
    assert weak.exit_code == 1
    assert f"password_weak: {WEAK_ZH}" in weak.output
    assert admin_login(client, NEW_USER, f"{NEW_USER}2024").status_code == 401
    strong = run(*args, "--password", STRONG)
    assert strong.exit_code == 0, strong.output
    assert admin_login(client, NEW_USER, STRONG).status_code == 200


def test_the_demo_passwords_pass_the_rule_they_are_printed_beside() -> None:
    chain = [seed.MERCHANT, *seed.STORES]
    check_strength(seed.CONSOLE_PASSWORD, known=[seed.CONSOLE_USER, "总部管理员", *chain])
    check_strength(seed.MANAGER_PASSWORD, known=[seed.MANAGER_USER, "皇岗店店长", *chain])
