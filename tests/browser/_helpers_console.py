"""Helpers for the console's browser tests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.helpers import (
    ADMIN_API,
    SEED_ORDER,
    demo_admin_headers,
    must_redeem,
    open_order,
    terminal_headers,
)


def console_login(page: Page, live: str, user: str, password: str, path: str = "/console") -> None:
    """Open `path`, get sent to the sign-in page, sign in, and land back on `path`."""
    page.goto(f"{live}{path}")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{live}{path}")


def sold_campaign(
    live: str,
    demo: dict[str, Any],
    *,
    name: str,
    title: str,
    face_fen: int,
    price_fen: int,
    reference: str,
) -> dict[str, int]:
    """A cash template listed on the mall with five codes sold, one of them used at the till:
    four still unused. Its template and listing ids."""
    with httpx.Client(base_url=live, timeout=10) as http:
        hq = demo_admin_headers(http, demo)
        template = http.post(
            f"{ADMIN_API}/templates",
            headers=hq,
            json={
                "kind": "cash",
                "name": name,
                "face_value_fen": face_fen,
                "price_fen": price_fen,
                "validity_mode": "relative",
                "valid_days": 30,
            },
        ).json()
        listing = http.post(
            f"{ADMIN_API}/listings",
            headers=hq,
            json={"template_id": template["id"], "platform": "weimall", "title": title},
        ).json()
        codes = http.post(
            f"{ADMIN_API}/listings/{listing['id']}/codes",
            headers=hq,
            json={"quantity": 5, "reference": reference},
        ).json()["codes"]
        till = terminal_headers(demo["terminal_key"])
        must_redeem(http, till, codes[0], open_order(http, till, **SEED_ORDER)["id"])
    return {"template": int(template["id"]), "listing": int(listing["id"])}


def expect_dead_mall_use(
    page: Page, live: str, demo: dict[str, Any], dead: dict[str, Any]
) -> Locator:
    """The outbox page shows the dead sync of a use the mall refused, in the merchant's words
    and Beijing time, never a stored shape; its row."""
    created = datetime.fromisoformat(dead["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    console_login(
        page, live, demo["console"]["user"], demo["console"]["password"], "/console/outbox"
    )
    row = page.locator(f"tr[data-outbox-id='{dead['id']}']")
    expect(row.locator("[data-field=topic]")).to_have_text("核销")
    expect(row.locator("[data-field=destination]")).to_have_text("微商城核销同步")
    expect(row.locator("[data-field=error]")).to_have_text("票券不存在")
    expect(row.locator("[data-field=created_at]")).to_have_text(created.strftime("%Y-%m-%d %H:%M"))
    expect(row).to_contain_text("投递失败")
    expect(page.locator("#outbox-table")).not_to_contain_text("{")
    return row
