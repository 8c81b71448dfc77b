"""Helpers for the console's browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def console_login(page: Page, live: str, user: str, password: str, path: str = "/console") -> None:
    """Open `path`, get sent to the sign-in page, sign in, and land back on `path`."""
    page.goto(f"{live}{path}")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{live}{path}")
