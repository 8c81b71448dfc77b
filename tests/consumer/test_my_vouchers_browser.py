"""我的优惠 in Chromium on a phone (375x667): a WeChat user buys on the micro-mall simulator,
opens 我的优惠, signs in on the WeChat simulator's authorize page, sees the voucher with its
title and yuan, opens it, and the screenshot of its QR code decodes (zxing-cpp) back to the
code; the till redeems that code through the Terminal API and the phone shows it used.

SQLite only, like every browser test (tests/browser/conftest.py): the pages call the same use
cases as the HTTP tests beside this one, which run on both backends."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser._pages import fresh_page
from tests.conftest import sqlite_database
from tests.consumer.conftest import FAN, buy_for
from tests.helpers import SEED_ORDER, must_redeem, open_order

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_database(request, tmp_path)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh phone: 375x667, touch, twice the pixels (as a phone's screen has them)."""
    yield from fresh_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def decode_qr(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [found.text for found in zxingcpp.read_barcodes(image)]


def test_the_phone_shows_the_voucher_its_qr_decodes_and_redeems_at_the_till(
    live: str,
    phone_page: Page,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    merchant_id: int,
    shot: Any,
) -> None:
    [code] = buy_for(weimall, client, admin, FAN)
    page = phone_page
    page.goto(f"{live}/wx/{merchant_id}/vouchers")
    # WeChat's authorize page (the simulator's): pick who this phone is
    expect(page.get_by_role("heading", name="授权登录")).to_be_visible()
    shot(page, "consumer-wechat-authorize")
    page.get_by_role("button", name="以 小王 的身份登录").click()
    page.wait_for_url(f"{live}/wx/{merchant_id}/vouchers")
    card = page.locator(f'a.voucher-card[data-code="{code}"]')
    expect(card).to_be_visible()
    expect(card.locator(".title")).to_have_text("100元代金券")
    expect(card.locator(".yuan")).to_have_text("¥100.00")
    expect(card.locator(".status")).to_have_text("可使用")
    expect(card).to_contain_text("皇岗店")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways
    shot(page, "consumer-my-vouchers")

    card.click()
    page.wait_for_url(f"{live}/wx/{merchant_id}/vouchers/{code}")
    qr = page.locator("#voucher-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 250  # big enough for a scanner at arm's length
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    expect(page.locator("#voucher-code")).to_have_text(
        " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    )
    shot(page, "consumer-voucher-qr")
    assert decode_qr(qr.screenshot()) == [code]

    # the till scans what the QR says
    order = open_order(client, auth, SEED_ORDER["lines"], table="S001", guests=2)
    must_redeem(client, auth, decode_qr(qr.screenshot())[0], order["id"])
    page.reload()
    expect(page.locator(".voucher-detail .status")).to_have_text("已使用")
    expect(page.locator("#voucher-qr")).to_have_count(0)
    page.get_by_role("link", name="‹ 我的优惠").click()
    used = page.locator(f'a.voucher-card.closed[data-code="{code}"]')
    expect(used.locator(".status")).to_have_text("已使用")
    shot(page, "consumer-my-vouchers-used")


def test_the_pages_read_in_english_too(
    live: str,
    phone_page: Page,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    admin: dict[str, str],
    merchant_id: int,
) -> None:
    [code] = buy_for(weimall, client, admin, FAN)
    page = phone_page
    page.goto(f"{live}/wx/{merchant_id}/vouchers")
    page.get_by_role("button", name="以 小王 的身份登录").click()
    page.wait_for_url(f"{live}/wx/{merchant_id}/vouchers")
    page.goto(f"{live}/wx/{merchant_id}/vouchers?lang=en")
    expect(page.get_by_role("heading", name="My vouchers")).to_be_visible()
    expect(page.locator(f'a.voucher-card[data-code="{code}"] .status')).to_have_text("Usable")
    page.goto(f"{live}/wx/{merchant_id}/vouchers/{code}")
    expect(page.locator(".hint")).to_have_text("Show this code to the cashier")
