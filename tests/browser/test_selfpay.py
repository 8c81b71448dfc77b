"""Self-pay in Chromium with two browser contexts, a guest's phone (375x667) and the cashier's
tablet (1024x768): the cashier opens a bill for table A3; the guest scans the table (opens
/wx/t/{token}), signs in on WeChat's authorize page, picks a voucher (抵扣 shown on the phone,
then on the till), pays the rest on WeChat Pay's sheet (the simulator's); the cashier page
flashes 线上支付 ¥184.00 桌号 A3 and one key (F6) settles the bill; the receipt shows the
voucher and the WeChat payment. Screenshots of each step.

SQLite only, like every browser test (tests/browser/conftest.py): the HTTP tests in
tests/selfpay/ run the same use cases on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser._helpers_cashier import fetch_order, sign_in
from tests.browser._pages import fresh_page
from tests.consumer.conftest import buy_for
from tests.helpers import demo_admin_headers
from tests.selfpay.conftest import GUEST, table_token
from tests.simulators.wechat_world import wechat_settings
from voucherbridge.bootstrap import Container
from voucherbridge.config import Settings
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.wechat.simulator import WeChatSimConfig
from voucherbridge_sims.wechat.simulator import create_app as wechat_app

PHONE = {"width": 375, "height": 667}
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[ServerThread]:
    with ServerThread(wechat_app(WeChatSimConfig(time_scale=0.001))) as server:
        yield server


@pytest.fixture
def settings(
    database_url: str, weimall_server: ServerThread, wechat_server: ServerThread
) -> Settings:
    """The browser suite's settings, with WeChat (sign-in, Pay) on the simulator."""
    return wechat_settings(
        database_url, weimall=weimall_server, wechat=wechat_server, pay=True, live_poll_s=0.2
    )


@pytest.fixture
def wechat(wechat_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=wechat_server.base_url, timeout=30) as http:
        http.post("/_sim/wechat/users", json={"openid": GUEST, "nickname": "小李"})
        yield http


@pytest.fixture
def weimall(weimall_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=weimall_server.base_url, timeout=30) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from fresh_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


@pytest.fixture
def cashier(browser: Browser) -> Iterator[Page]:
    yield from fresh_page(browser, TABLET)


def test_the_guest_pays_at_the_table_and_the_cashier_settles_with_one_key(
    live: str,
    phone: Page,
    cashier: Page,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    demo: dict[str, Any],
    container: Container,
    shot: Any,
) -> None:
    admin = demo_admin_headers(client, demo)
    [code] = buy_for(weimall, client, admin, GUEST)
    token = table_token(container, demo, "A3")

    # the cashier opens the bill of table A3
    sign_in(cashier, live, demo["terminal_key"])
    expect(cashier.locator("html[data-live='open']")).to_have_count(1)
    cashier.fill("#table", "A3")
    cashier.keyboard.press("F2")
    expect(cashier.locator("#order")).to_be_visible()
    order_id = int(cashier.evaluate("sessionStorage.getItem('vb_cashier_order')"))
    total = fetch_order(live, demo, order_id)["total_fen"]
    expect(cashier.locator("#online-alerts")).to_be_hidden()

    # the guest scans the table's QR and signs in through WeChat
    phone.goto(f"{live}/wx/t/{token}")
    expect(phone.get_by_role("heading", name="授权登录")).to_be_visible()
    phone.get_by_role("button", name="以 小李 的身份登录").click()
    phone.wait_for_url(f"{live}/wx/t/{token}")
    expect(phone.locator("#table-no")).to_have_text("A3")
    expect(phone.locator("#due")).to_have_text(f"¥{total // 100}.{total % 100:02d}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "selfpay-phone-bill")

    # picks the voucher: what it takes off, then 确认使用
    phone.locator(f'.voucher[data-code="{code}"] a.use').click()
    expect(phone.locator("#prepared-off")).to_have_text("¥100.00")
    shot(phone, "selfpay-phone-voucher-prepared")
    phone.locator("#confirm-use").click()
    expect(phone.locator("#used")).to_contain_text("抵扣 ¥100.00")
    due = total - 10000
    due_text = f"{due // 100}.{due % 100:02d}"
    expect(phone.locator("#due")).to_have_text(f"¥{due_text}")
    expect(phone.locator(f'tr.applied[data-code="{code}"]')).to_contain_text("-¥100.00")
    shot(phone, "selfpay-phone-voucher-used")

    # the till sees the voucher on the bill (抵扣 as for one it scanned itself)
    cashier.reload()
    expect(cashier.locator("html[data-ready]")).to_have_count(1)
    expect(cashier.locator("#order")).to_contain_text("抵扣")
    expect(cashier.locator("#order")).to_contain_text("100.00")
    shot(cashier, "selfpay-cashier-voucher-on-bill")

    # 微信支付 for the rest, on WeChat Pay's sheet
    phone.locator("#pay").click()
    expect(phone.locator("#amount")).to_have_text(f"¥{due_text}")
    shot(phone, "selfpay-phone-wechatpay-sheet")
    phone.locator("#confirm").click()
    phone.wait_for_url(f"{live}/wx/t/{token}?paid=*")
    expect(phone.locator("#paid")).to_contain_text("支付成功")
    expect(phone.locator("#due")).to_have_text("¥0.00")
    shot(phone, "selfpay-phone-paid")

    # the cashier page flashes at once; F6 settles
    alert = cashier.locator(f'.online-alert[data-order="{order_id}"]')
    expect(alert).to_contain_text(f"线上支付 ¥{due_text} 桌号 A3", timeout=15_000)
    expect(cashier.locator("#online-alerts.flash")).to_have_count(1)
    assert int(cashier.evaluate("document.documentElement.dataset.onlineFlashes")) == 1
    expect(cashier.locator("#due")).to_have_text("¥0.00")  # the bill on screen: paid already
    shot(cashier, "selfpay-cashier-online-alert")
    cashier.keyboard.press("F6")
    expect(cashier.locator("#online-alerts")).to_be_hidden()
    receipt = cashier.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text("微信支付")
    expect(receipt).to_contain_text("票券x1")
    expect(receipt).to_contain_text(due_text)
    shot(cashier, "selfpay-cashier-settled-receipt")
    closed = fetch_order(live, demo, order_id)
    assert closed["status"] == "closed"
    assert [(t["type"], t["amount_fen"]) for t in closed["tenders"]] == [("wechat", due)]
    assert [v["code"] for v in closed["vouchers"]] == [code]

    # the guest's page: the bill is settled
    phone.reload()
    expect(phone.locator("#paid")).to_contain_text("已结清")
