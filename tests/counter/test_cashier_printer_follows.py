"""The till's network printer follows the cashier from shift to shift (issue 18, point 7).

A cashier's sign-in opens a new web terminal each time; HQ sets the printer in the console on
the terminal of today's shift, the cashier signs out and in again, and 打印小票 still reaches
the printer (a listener on 127.0.0.1). Each shift keeps its own terminal: the old key stays
revoked, and the `cashier.login` audit row says which printer came from which terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.counter._printer import Listener, printer_listener
from tests.helpers import ADMIN_API, SEED_ORDER, demo_admin_headers
from voucherbridge.core import csrf

CASHIER = {"username": "xiaoli", "password": "cashier-pass-1"}
WEB_TERMINAL = "网页收银台 · xiaoli"


@pytest.fixture
def printer() -> Iterator[Listener]:
    with printer_listener() as running:
        yield running


@pytest.fixture
def hq(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    headers = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=headers).json()}
    created = client.post(
        f"{ADMIN_API}/users",
        headers=headers,
        json={**CASHIER, "role": "cashier", "store_ids": [stores["皇岗店"]]},
    )
    assert created.status_code == 201, created.text
    return headers


def _cashier_signs_in(client: Any) -> str:
    client.cookies.clear()
    signed_in = client.post("/cashier/login", data=CASHIER, follow_redirects=False)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/cashier")
    return str(client.cookies["vb_cashier"])


def _page_token(client: Any, container: Any) -> dict[str, str]:
    return {
        "X-CSRF-Token": csrf.token_for(container.settings.secret_key, client.cookies["vb_cashier"])
    }


def _cashier_signs_out(client: Any, container: Any) -> None:
    token = _page_token(client, container)["X-CSRF-Token"]
    out = client.post("/cashier/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303


def _web_terminals(client: Any, hq: dict[str, str]) -> list[dict[str, Any]]:
    listed = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    return [t for t in listed if t["name"] == WEB_TERMINAL]


def _live_web_terminal(client: Any, hq: dict[str, str]) -> int:
    [live] = [t for t in _web_terminals(client, hq) if t["active"]]
    return int(live["id"])


def _console_sets_printer(client: Any, demo: dict[str, Any], terminal: int, **fields: str) -> None:
    """HQ in the console (its own cookie): the terminal's 小票打印机 page, saved or cleared."""
    signed_in = client.post(
        "/console/login",
        data={"username": demo["console"]["user"], "password": demo["console"]["password"]},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    form = client.get(f"/console/terminals/{terminal}/printer")
    assert form.status_code == 200
    assert WEB_TERMINAL in form.text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert token
    action = "save" if fields else "clear"
    saved = client.post(
        f"/console/terminals/{terminal}/printer",
        data={"csrf": token.group(1), "action": action, **fields},
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/terminals")


def _paid_order(client: Any, page: dict[str, str], code: str) -> int:
    order = client.post("/api/v1/orders", json=SEED_ORDER, headers=page)
    assert order.status_code == 201, order.text
    order_id = int(order.json()["id"])
    redeemed = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": order_id}, headers=page
    )
    assert redeemed.status_code == 201, redeemed.text
    paid = client.post(
        f"/api/v1/orders/{order_id}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": 20000}]},
        headers=page,
    )
    assert paid.status_code == 200, paid.text
    return order_id


def test_the_printer_set_in_the_console_follows_the_cashier_to_the_next_shift(
    client: Any, container: Any, demo: dict[str, Any], hq: dict[str, str], printer: Listener
) -> None:
    first_key = _cashier_signs_in(client)
    first = _live_web_terminal(client, hq)
    _console_sets_printer(
        client,
        demo,
        first,
        printer_host=printer.host,
        printer_port=str(printer.port),
        printer_width_mm="58",
    )

    _cashier_signs_out(client, container)  # the first shift ends by 退出
    _cashier_signs_in(client)
    second = _live_web_terminal(client, hq)
    assert second != first  # a new terminal per shift ...
    shown = client.get(f"{ADMIN_API}/terminals/{second}/printer", headers=hq).json()
    assert (shown["host"], shown["port"], shown["width_mm"]) == (printer.host, printer.port, 58)

    page = _page_token(client, container)
    order_id = _paid_order(client, page, demo["codes"]["cash"][0])
    sent = client.post(f"/api/v1/orders/{order_id}/receipt/print", headers=page)
    assert sent.status_code == 200, sent.text
    assert sent.json()["printer"] == f"127.0.0.1:{printer.port}"
    assert sent.json()["width_mm"] == 58
    [job] = printer.wait_for(1)
    assert job.startswith(b"\x1b@")
    assert "右姑娘火锅".encode("gb18030") in job

    # ... and the earlier ones stay revoked: their keys open nothing.
    old = client.post(
        "/api/v1/orders", json=SEED_ORDER, headers={"Authorization": f"Bearer {first_key}"}
    )
    assert old.status_code == 401
    assert [t["active"] for t in _web_terminals(client, hq)].count(True) == 1

    logins = client.get(f"{ADMIN_API}/audit?action=cashier.login", headers=hq).json()["items"]
    newest = logins[0]
    assert newest["subject"] == f"terminal:{second}"
    assert newest["after"]["printer"] == f"127.0.0.1:{printer.port}"
    assert newest["after"]["printer_width_mm"] == 58
    assert int(newest["after"]["printer_from_terminal"]) != second


def test_a_printer_cleared_in_the_console_stays_cleared_and_a_revoked_till_stays_revoked(
    client: Any, container: Any, demo: dict[str, Any], hq: dict[str, str], printer: Listener
) -> None:
    _cashier_signs_in(client)
    first = _live_web_terminal(client, hq)
    _console_sets_printer(
        client, demo, first, printer_host=printer.host, printer_port=str(printer.port)
    )
    # HQ ends the shift's terminal from the console; the next sign-in still gets the printer.
    revoked = client.post(f"{ADMIN_API}/terminals/{first}/revoke", headers=hq)
    assert revoked.status_code == 200, revoked.text
    _cashier_signs_in(client)
    second = _live_web_terminal(client, hq)
    by_id = {t["id"]: t for t in _web_terminals(client, hq)}
    assert by_id[first]["active"] is False  # the revocation is final
    assert client.get(f"{ADMIN_API}/terminals/{second}/printer", headers=hq).json()["host"] == (
        printer.host
    )

    _console_sets_printer(client, demo, second)  # 清除: this till prints in the browser only
    _cashier_signs_in(client)
    third = _live_web_terminal(client, hq)
    assert client.get(f"{ADMIN_API}/terminals/{third}/printer", headers=hq).json()["host"] is None
    page = _page_token(client, container)
    order_id = _paid_order(client, page, demo["codes"]["cash"][1])
    refused = client.post(f"/api/v1/orders/{order_id}/receipt/print", headers=page)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "printer_not_configured"
    assert printer.jobs == []


def test_a_first_shift_has_no_printer_to_carry(
    client: Any, demo: dict[str, Any], hq: dict[str, str]
) -> None:
    _cashier_signs_in(client)
    first = _live_web_terminal(client, hq)
    assert client.get(f"{ADMIN_API}/terminals/{first}/printer", headers=hq).json()["host"] is None
    logins = client.get(f"{ADMIN_API}/audit?action=cashier.login", headers=hq).json()["items"]
    assert logins[0]["after"] is None
