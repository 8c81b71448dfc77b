"""The guest's table page over HTTP on both backends, with the WeChat and micro-mall
simulators on loopback: signed out it goes through WeChat's sign-in and comes back; it shows
the table's open bill (the newest one opened for that table) and what is due; the guest's own
voucher is prepared (抵扣 shown) and redeemed through the cashier's rules, once for a double
tap; someone else's code is unknown; 微信支付 leads to WeChat's pay sheet and, once paid, the
bill shows the WeChat payment and nothing due; another merchant's session counts for nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from tests.consumer.conftest import Phone, buy_for, error_code
from tests.helpers import demo_admin_headers, wait_until
from tests.selfpay.conftest import GUEST, STRANGER, table_bill, table_token
from voucherbridge.bootstrap import Container


@pytest.fixture
def phone(live: str) -> Iterator[Phone]:
    browser = Phone(live)
    yield browser
    browser.close()


def _due(page: str) -> str:
    found = re.search(r'id="due">¥([0-9.,]+)<', page)
    assert found, page[:2000]
    return found.group(1)


def _nonce(page: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_guest_signs_in_sees_the_bill_uses_a_voucher_once_and_pays(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    wechat: httpx.Client,
    weimall: httpx.Client,
    live: str,
    phone: Phone,
) -> None:
    admin = demo_admin_headers(client, demo)
    [code] = buy_for(weimall, client, admin, GUEST)
    [theirs] = buy_for(weimall, client, admin, STRANGER)
    token = table_token(container, demo)
    path = f"/wx/t/{token}"

    empty = phone.sign_in(path, GUEST)
    assert empty.status_code == 200
    assert "本桌暂无待支付账单,请联系服务员" in empty.text

    table_bill(client, auth)  # an older bill of the same table
    bill = table_bill(client, auth)
    page = phone.http.get(path)
    assert "凉瓜黄豆汤底" in page.text
    assert bill["order_no"] in page.text
    assert _due(page.text) == "284.00"
    assert f'data-code="{code}"' in page.text
    assert theirs not in page.text
    english = phone.http.get(path, params={"lang": "en"}).text
    assert "To pay" in english
    assert "My vouchers" in english
    assert "微信支付" not in english
    phone.http.get(path, params={"lang": "zh"})  # the switch is remembered: back to Chinese

    prepared = phone.http.get(path, params={"use": code})
    assert "本单可抵扣" in prepared.text
    assert 'id="prepared-off">¥100.00<' in prepared.text
    nonce = _nonce(prepared.text)
    first = phone.http.post(f"{path}/use", data={"code": code, "nonce": nonce})
    assert first.status_code == 303, first.text[:500]
    again = phone.http.post(f"{path}/use", data={"code": code, "nonce": nonce})
    assert again.status_code == 303  # the double tap: the same redemption, not an error
    order = client.get(f"/api/v1/orders/{bill['id']}", headers=auth).json()
    assert [v["code"] for v in order["vouchers"]] == [code]
    assert order["vouchers"][0]["discount_fen"] == 10000
    used = phone.http.get(first.headers["location"])
    assert "抵扣 ¥100.00" in used.text
    assert _due(used.text) == "184.00"

    stolen = phone.http.post(f"{path}/use", data={"code": theirs, "nonce": "n2"})
    assert stolen.status_code == 404
    assert error_code(stolen) == "voucher_not_found"

    paying = phone.http.post(f"{path}/pay")
    assert paying.status_code == 303, paying.text[:500]
    assert paying.headers["location"].startswith(f"{path}?pay=")
    onward = phone.http.get(paying.headers["location"])
    found = re.search(r'id="to-wechatpay"><a class="pay" href="([^"]+)"', onward.text)
    assert found, onward.text[:1500]
    sheet = html.unescape(found.group(1))
    assert f'content="0;url={found.group(1)}"' in onward.text  # the phone goes on by itself
    assert sheet.startswith(str(container.settings.wechatpay_base_url) + "/_sim/wechatpay/pay?")
    query = parse_qs(urlsplit(sheet).query)
    paid = wechat.post("/_sim/wechatpay/pay-now", json={"prepay_id": query["prepay_id"][0]})
    assert paid.json()["total"] == 18400
    back = unquote(query["redirect"][0])
    assert back.startswith(f"{live}{path}?paid=")

    def shows_paid() -> str:
        page = phone.http.get(back.removeprefix(live)).text
        return page if "支付成功,收银台已收到" in page else ""

    done = wait_until(shows_paid, timeout_s=20)
    assert _due(done) == "0.00"
    assert "微信支付" in done


def test_a_session_of_another_merchant_signs_in_again(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    live: str,
    phone: Phone,
) -> None:
    from voucherbridge.web.consumer.session import COOKIE, ConsumerSession, session_cookie

    token = table_token(container, demo)
    table_bill(client, auth)
    phone.http.cookies.set(
        COOKIE, session_cookie(container, ConsumerSession(99999, GUEST)), path="/wx"
    )
    answer = phone.http.get(f"/wx/t/{token}")
    assert answer.status_code == 302
    assert "/connect/oauth2/authorize" in answer.headers["location"]
    assert phone.http.get("/wx/t/not-a-real-token-000").status_code == 404
