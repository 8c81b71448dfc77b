"""Password guessing: ten failed sign-ins of one account in 15 minutes lock it, on the admin API,
the console and the cashier page alike; each failure of a real account is in its merchant's
audit log; the name typed is never stored; signing out ends only that session."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import FakeClock
from tests.helpers import admin_login
from voucherbridge.audit.verify import verify_all
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t

MAX_FAILURES = 10


@pytest.fixture
def clock(container: Container) -> FakeClock:
    fake = FakeClock()
    container.clock = fake
    return fake


def _fail(client: Any, username: str, times: int) -> None:
    for n in range(times):
        response = admin_login(client, username, f"guess-{n}")
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthorized"


def _audit(container: Container, action: str) -> list[Any]:
    with container.engine.connect() as conn:
        query = select(t.audit_log).where(t.audit_log.c.action == action)
        return list(conn.execute(query.order_by(t.audit_log.c.id)))


def test_the_eleventh_sign_in_is_refused_even_with_the_right_password_until_the_window_passes(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    console = demo["console"]
    _fail(client, console["user"], MAX_FAILURES)

    locked = admin_login(client, console["user"], console["password"])
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["code"] == "sign_in_locked"
    assert error["message"] == "登录失败次数过多,请15分钟后再试"
    assert locked.headers["Retry-After"] == str(error["details"]["retry_after_s"])
    english = admin_login(client, console["user"], console["password"], **{"Accept-Language": "en"})
    assert english.json()["error"]["message"] == (
        "Too many failed sign-ins; please try again in 15 minutes"
    )

    clock.advance(minutes=10)
    again = admin_login(client, console["user"], console["password"])
    assert again.json()["error"]["message"] == "登录失败次数过多,请5分钟后再试"
    clock.advance(minutes=5, seconds=1)
    assert admin_login(client, console["user"], console["password"]).status_code == 200


def test_each_failure_of_a_real_account_is_audited_and_the_chain_still_verifies(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    _fail(client, demo["console"]["user"], MAX_FAILURES)
    rows = _audit(container, "user.login_failed")
    assert [r.after["failures"] for r in rows] == list(range(1, MAX_FAILURES + 1))
    assert [r.after["locked"] for r in rows][-2:] == [False, True]
    assert {r.subject for r in rows} == {demo["console"]["user"]}
    assert [report.broken for report in verify_all(container.uow)] == [None]


def test_an_unknown_name_is_locked_the_same_way_and_leaves_no_trace_of_what_was_typed(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    typed = "hunter2-typed-in-the-name-box"
    _fail(client, typed, MAX_FAILURES)
    locked = admin_login(client, typed, "anything")
    assert locked.status_code == 429  # the same answer as a real account: nothing to learn
    assert _audit(container, "user.login_failed") == []  # no merchant to tell
    with container.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(select(t.sign_in_failures))]
    assert len(stored) == MAX_FAILURES
    assert not any(typed in str(value) for row in stored for value in row)
    # someone else's account is untouched by it
    console = demo["console"]
    assert admin_login(client, console["user"], console["password"]).status_code == 200


def test_a_good_sign_in_forgets_earlier_failures(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    console = demo["console"]
    _fail(client, console["user"], MAX_FAILURES - 1)
    assert admin_login(client, console["user"], console["password"]).status_code == 200
    _fail(client, console["user"], MAX_FAILURES - 1)  # a typo-prone day, never locked
    assert admin_login(client, console["user"], console["password"]).status_code == 200


def test_the_console_and_the_cashier_page_share_the_lock(
    client: Any, container: Container, demo: dict[str, Any], clock: FakeClock
):
    manager = demo["store_manager"]
    for n in range(MAX_FAILURES // 2):
        page = client.post("/console/login", data={"username": manager["user"], "password": n})
        assert page.status_code == 401
        counter = client.post(
            "/cashier/login", data={"username": manager["user"], "password": f"x{n}"}
        )
        assert counter.status_code == 400
    page = client.post(
        "/console/login", data={"username": manager["user"], "password": manager["password"]}
    )
    assert page.status_code == 429
    assert "登录失败次数过多,请15分钟后再试" in page.text
    counter = client.post(
        "/cashier/login", data={"username": manager["user"], "password": manager["password"]}
    )
    assert counter.status_code == 429
    assert "登录失败次数过多,请15分钟后再试" in counter.text


def test_signing_out_ends_that_session_only(
    client: Any, container: Container, demo: dict[str, Any]
):
    console = demo["console"]
    desk, laptop = (
        admin_login(client, console["user"], console["password"]).json()["token"] for _ in range(2)
    )
    out = client.post("/api/admin/v1/logout", headers={"Authorization": f"Bearer {desk}"})
    assert out.status_code in (200, 204), out.text
    me = "/api/admin/v1/me"
    assert client.get(me, headers={"Authorization": f"Bearer {desk}"}).status_code == 401
    assert client.get(me, headers={"Authorization": f"Bearer {laptop}"}).status_code == 200
