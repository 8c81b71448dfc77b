"""The server's operator gives a new merchant its first HQ admin, and a merchant more users,
from the command line: the same rules, messages and audit rows as the admin API."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.bootstrap import Container
from voucherbridge.cli.main import app as cli

LOGIN = "/api/admin/v1/login"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("VOUCHERBRIDGE_LOG_LEVEL", "WARNING")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_create_merchant_gives_it_a_first_hq_admin_who_can_sign_in(
    run: Any, client: Any, container: Container
) -> None:
    password = "烤鸭店总部2026!"
    made = run("create-merchant", "望京烤鸭", "--username", "wangjing", "--password", password)
    assert made.exit_code == 0, made.output
    assert "created merchant 望京烤鸭" in made.output
    assert "HQ admin wangjing" in made.output

    signed_in = client.post(LOGIN, json={"username": "wangjing", "password": password})
    assert signed_in.status_code == 200, signed_in.text
    me = client.get(
        "/api/admin/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['token']}"}
    ).json()
    assert (me["role"], me["merchant"]["name"]) == ("hq_admin", "望京烤鸭")

    with container.uow() as uow:
        page = uow.repo(AuditRepo).page(
            me["merchant"]["id"], store_ids=None, action=None, before_id=None, limit=10
        )
    assert {row["action"] for row in page} >= {"merchant.create", "user.create"}


def test_create_user_keeps_the_password_rules_and_names_the_field(run: Any) -> None:
    short = run("create-merchant", "短密码店", "--username", "shorty", "--password", "abc")
    assert short.exit_code == 1
    assert "请求内容有误: password" in short.output


def test_create_user_for_a_merchant_that_does_not_exist_says_so(run: Any) -> None:
    missing = run("create-user", "nobody", "--merchant-id", "999", "--password", "long-enough-1")
    assert missing.exit_code == 1
    assert "商户不存在" in missing.output


def test_create_user_adds_a_store_manager_to_an_existing_merchant(
    run: Any, client: Any, demo: dict[str, Any]
) -> None:
    admin = client.post(LOGIN, json={"username": "admin", "password": "hotpot-hq-demo"}).json()
    stores = client.get(
        "/api/admin/v1/stores", headers={"Authorization": f"Bearer {admin['token']}"}
    ).json()
    store_id = stores[0]["id"]
    added = run(
        "create-user",
        "manager2",
        "--role",
        "store_manager",
        "--merchant-id",
        "1",
        "--store-id",
        str(store_id),
        "--password",
        "manager-pass-2026",
    )
    assert added.exit_code == 0, added.output
    assert "created user manager2 (store_manager)" in added.output
    signed_in = client.post(LOGIN, json={"username": "manager2", "password": "manager-pass-2026"})
    assert signed_in.status_code == 200

    again = run("create-user", "manager2", "--merchant-id", "1", "--password", "another-pass-1")
    assert again.exit_code == 1
    assert "用户已存在" in again.output
