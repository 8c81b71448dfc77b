"""The WeChat Pay part of the WeChat simulator, against our adapter: it checks the merchant's
signature (none, another key, a stale timestamp: 401 SIGN_ERROR), refuses a reused
out_trade_no with other content, signs its answers with the platform key (our adapter checks
that), and retries a notify our service did not take on WeChat's schedule (shrunk here)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response

from tests.helpers import wait_until
from tests.simulators.wechat_world import wechatpay_settings
from voucherbridge.config import Settings
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.selfpay.wechatpay import JSAPI_PATH, JsapiOrder, WeChatPay
from voucherbridge_sims.simkit.server import ServerThread


@pytest.fixture
def pay(wechat_server: ServerThread) -> WeChatPay:
    return WeChatPay(Settings(environment="test", **wechatpay_settings(wechat_server.base_url)))  # type: ignore[arg-type]


def _order(no: str, total: int = 1000, url: str = "http://127.0.0.1:9/n") -> JsapiOrder:
    return JsapiOrder(
        description="测试", out_trade_no=no, notify_url=url, total_fen=total, openid="o-1"
    )


def test_the_simulator_checks_the_merchants_signature(
    pay: WeChatPay, wechat_server: ServerThread
) -> None:
    body = json.dumps({"appid": pay.appid, "mchid": pay.mchid})
    url = wechat_server.base_url + JSAPI_PATH
    unsigned = httpx.post(url, content=body)
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "SIGN_ERROR")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forger = WeChatPay(pay.settings.model_copy(update={"wechatpay_private_key": pem}))
    forged = httpx.post(
        url, content=body, headers={"Authorization": forger.authorization("POST", JSAPI_PATH, body)}
    )
    assert (forged.status_code, forged.json()["message"]) == (401, "签名错误")
    header = pay.authorization("POST", JSAPI_PATH, body)
    stale = header.replace(
        f'timestamp="{int(time.time())}"', f'timestamp="{int(time.time()) - 900}"'
    )
    if stale != header:  # the same second: the signature no longer matches either way
        assert httpx.post(url, content=body, headers={"Authorization": stale}).status_code == 401


def test_an_order_is_placed_once_per_out_trade_no(pay: WeChatPay) -> None:
    first = pay.create_jsapi(_order("VBSIMTEST0001"))
    assert first.startswith("wx")
    assert pay.create_jsapi(_order("VBSIMTEST0001")) == first
    with pytest.raises(DomainError) as refused:
        pay.create_jsapi(_order("VBSIMTEST0001", total=999))
    assert refused.value.code is ErrorCode.WECHATPAY_UNAVAILABLE


def test_an_answer_not_signed_by_the_platform_is_not_believed(
    pay: WeChatPay, wechat_server: ServerThread
) -> None:
    wrong = pay.settings.model_copy(update={"wechatpay_platform_serial": "NOT-THE-SERIAL"})
    with pytest.raises(DomainError):
        WeChatPay(wrong).create_jsapi(_order("VBSIMTEST0002"))


@pytest.fixture
def flaky() -> Iterator[tuple[str, list[int]]]:
    """A stand-in for our notify endpoint: 500 twice, then 204."""
    seen: list[int] = []
    app = FastAPI()

    @app.post("/notify")
    async def notify(request: Request) -> Response:
        await request.body()
        seen.append(len(seen) + 1)
        return Response(status_code=500 if len(seen) <= 2 else 204)

    with ServerThread(app) as server:
        yield server.base_url + "/notify", seen


def test_a_notify_not_taken_is_sent_again(
    pay: WeChatPay, wechat: httpx.Client, flaky: tuple[str, list[int]]
) -> None:
    url, seen = flaky
    prepay = pay.create_jsapi(_order("VBSIMTEST0003", url=url))
    wechat.post("/_sim/wechatpay/pay-now", json={"prepay_id": prepay}).raise_for_status()

    def delivered() -> Any:
        order = next(
            o for o in wechat.get("/_sim/wechatpay/orders").json() if o["prepay_id"] == prepay
        )
        return order if order["notified"] else None

    order = wait_until(delivered, timeout_s=20)
    assert [a["status_code"] for a in order["attempts"]] == [500, 500, 204]
    assert seen == [1, 2, 3]
    bodies = {a["headers"]["Wechatpay-Nonce"] for a in order["attempts"]}
    assert len(bodies) == 3  # signed afresh each time
