"""Binding a store to Meituan the way a merchant does it: the console sends the browser to
Meituan's authorization page, the merchant presses 授权, Meituan sends it back with an
auth_code, and the store is bound with the session (its bid and refresh data kept, sealed)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.factories import FakeClock
from voucherbridge.bootstrap import Container
from voucherbridge.platforms.meituan.session import MeituanSession
from voucherbridge.platforms.repository import BindingRepo

API = "/api/admin/v1"
HQ_LOGIN = {"username": "admin", "password": "hotpot-hq-demo"}


def _sign_in(client: Any) -> str:
    assert client.post("/console/login", data=HQ_LOGIN, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console/bindings").text)
    assert found
    return found.group(1)


def _new_store(client: Any, admin: dict[str, str]) -> int:
    store = client.post(f"{API}/stores", headers=admin, json={"name": "右姑娘火锅(车公庙店)"})
    assert store.status_code == 201, store.text
    return int(store.json()["id"])


def _to_meituan(client: Any, csrf: str, store_id: int, shop: str) -> str:
    """Press 去美团授权: where the console sends the browser."""
    sent = client.post(
        "/console/bindings/meituan/authorize",
        data={"csrf": csrf, "store_id": str(store_id), "platform_store_id": shop},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def _authorize_on_meituan(meituan: httpx.Client, page_url: str) -> str:
    """The merchant on Meituan's page presses 授权; returns where Meituan sends it back."""
    page = meituan.get(page_url)
    assert page.status_code == 200, page.text
    assert "授权 VoucherBridge 访问您的团购门店" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    shops = re.findall(r'name="shop" value="([^"]+)"', page.text)
    back = meituan.post(
        urlsplit(page_url).path, data={**fields, "shop": shops}, follow_redirects=False
    )
    assert back.status_code == 302, back.text
    return str(back.headers["location"])


def test_the_merchant_authorizes_on_meituan_and_comes_back_bound(
    client: Any, admin: dict[str, str], meituan: httpx.Client, container: Container
):
    store_id = _new_store(client, admin)
    csrf = _sign_in(client)

    page_url = _to_meituan(client, csrf, store_id, "mt-shop-3")
    asked = parse_qs(urlsplit(page_url).query)
    assert asked["app_key"] == ["mt-demo-key"]
    assert asked["redirect_url"] == ["http://testserver/console/bindings/meituan/callback"]
    callback = _authorize_on_meituan(meituan, page_url)
    assert callback.startswith("http://testserver/console/bindings/meituan/callback?auth_code=")

    done = client.get(callback.removeprefix("http://testserver"), follow_redirects=False)
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"]).text
    assert "美团授权完成,门店已绑定。" in page

    [exchange] = meituan.get("/_sim/requests", params={"path": "/router/oauth/token"}).json()
    sent = parse_qs(exchange["body"])
    assert sent["redirect_url"] == ["http://testserver/console/bindings/meituan/callback"]
    with container.uow() as uow:
        binding = uow.repo(BindingRepo).get(1, store_id, "meituan")
    assert binding is not None
    assert (binding.status, binding.platform_store_id) == ("bound", "mt-shop-3")
    kept = MeituanSession.of(container.secrets.open(binding.secret_sealed))
    assert (kept.bid, kept.remain_refresh_count) == ("mt-demo-bid", 12)
    assert kept.session
    assert kept.refresh_token


def test_a_callback_not_started_here_or_too_late_binds_nothing(
    client: Any,
    admin: dict[str, str],
    meituan: httpx.Client,
    container: Container,
    clock: FakeClock,
):
    store_id = _new_store(client, admin)
    csrf = _sign_in(client)
    callback = _authorize_on_meituan(meituan, _to_meituan(client, csrf, store_id, "mt-shop-3"))
    query = parse_qs(urlsplit(callback).query)
    path = "/console/bindings/meituan/callback"

    forged = client.get(path, params={"auth_code": query["auth_code"][0], "state": "x" * 80})
    late_state = query["state"][0]
    clock.advance(minutes=16)
    late = client.get(path, params={"auth_code": query["auth_code"][0], "state": late_state})

    for answer in (forged, late):
        assert answer.status_code == 422
        assert "美团授权已过期或不是从本页发起的,请在平台绑定页重新发起授权" in answer.text
    assert meituan.get("/_sim/requests", params={"path": "/router/oauth/token"}).json() == []
    with container.uow() as uow:
        assert uow.repo(BindingRepo).get(1, store_id, "meituan") is None
