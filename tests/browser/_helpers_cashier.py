"""Helpers for tests/browser/test_cashier.py: signing in at the counter, reading orders back
through the Terminal API, setting up through the JSON admin API."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import demo_admin_headers, terminal_headers

ADMIN = "/api/admin/v1"


def counter_ready(page: Page) -> None:
    """The counter's script has wired its keys (the URL and the focus come before that)."""
    expect(page.locator("html[data-ready]")).to_have_count(1)


def sign_in(page: Page, live: str, key: str) -> None:
    page.goto(f"{live}/cashier/login")
    page.fill("#key", key)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live}/cashier")
    counter_ready(page)
    expect(page.locator("#scan")).to_be_focused()


def read_the_value(page: Page) -> None:
    """The cashier looks at the prepared value before confirming: longer than a scanner's
    burst of Enters, which the page drops."""
    page.wait_for_timeout(300)


def open_order(page: Page) -> int:
    counter_ready(page)
    page.keyboard.press("F2")
    expect(page.locator("#order")).to_be_visible()
    return int(page.evaluate("sessionStorage.getItem('vb_cashier_order')"))


def fetch_order(live: str, demo: dict[str, Any], order_id: int) -> dict[str, Any]:
    headers = terminal_headers(demo["terminal_key"])
    response = httpx.get(f"{live}/api/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def applied(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in order["vouchers"] if v["status"] != "reversed"]


def admin_headers(live: str, demo: dict[str, Any]) -> dict[str, str]:
    """A console token for setting things up through the JSON admin API."""
    with httpx.Client(base_url=live) as http:
        return demo_admin_headers(http, demo)


def set_till_printer(live: str, demo: dict[str, Any], port: int) -> None:
    """The demo till of 皇岗店 prints to the network printer on loopback `port`."""
    hq = admin_headers(live, demo)
    with httpx.Client(base_url=live, headers=hq) as http:
        stores = {s["name"]: s["id"] for s in http.get(f"{ADMIN}/stores").json()}
        tills = http.get(f"{ADMIN}/terminals").json()
        till = next(t["id"] for t in tills if t["store_id"] == stores["皇岗店"])
        body = {"host": "127.0.0.1", "port": port}
        saved = http.put(f"{ADMIN}/terminals/{till}/printer", json=body)
        assert saved.status_code == 200, saved.text
