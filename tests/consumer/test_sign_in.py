"""Signing a consumer in through WeChat's web-page authorization against the WeChat simulator,
over HTTP on loopback: the phone lands on the page it asked for, signed in as the openid it
picked; a code is good once; a forged state, or a state started in another browser, is refused;
a next path pointing at another host lands on 我的优惠 instead; WeChat down is a page in plain
words with its error code. Both backends."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request

from tests.consumer.conftest import FAN, Phone, buy_for, error_code, query_of
from voucherbridge.web.consumer.session import FLOW_COOKIE, sign_in_redirect

EXCHANGE = "/sns/oauth2/access_token"


def test_sign_in_lands_on_the_page_asked_for_with_the_buyers_codes(
    phone: Phone,
    wechat: httpx.Client,
    weimall: httpx.Client,
    client: Any,
    admin: dict[str, str],
    merchant_id: int,
) -> None:
    [code] = buy_for(weimall, client, admin, FAN)
    start = phone.start(f"/wx/{merchant_id}/vouchers")
    authorize = str(start.headers["location"])
    assert authorize.startswith(str(wechat.base_url).rstrip("/") + "/connect/oauth2/authorize?")
    assert authorize.endswith("#wechat_redirect")
    asked = query_of(authorize.split("#")[0])
    assert asked["appid"] == "wx-demo-appid"
    assert asked["scope"] == "snsapi_base"
    assert asked["response_type"] == "code"
    assert asked["redirect_uri"] == f"{phone.http.base_url}".rstrip("/") + "/wx/oauth/callback"
    assert asked["state"].isalnum()
    assert len(asked["state"]) <= 128
    flow = start.headers["set-cookie"]
    assert FLOW_COOKIE in flow
    assert "HttpOnly" in flow
    assert "SameSite=lax" in flow.replace("Lax", "lax")

    # the simulator's page offers its known users; picking the fan comes back with a code
    page = httpx.get(authorize.split("#")[0])
    assert page.status_code == 200
    assert "授权登录" in page.text
    assert FAN in page.text
    back = phone.http.get(phone.authorize(authorize.split("#")[0], FAN))
    assert back.status_code == 303
    assert back.headers["location"] == f"/wx/{merchant_id}/vouchers"
    session = back.headers["set-cookie"]
    assert "vb_consumer=" in session
    assert "HttpOnly" in session
    assert "Path=/wx" in session
    assert "Max-Age=43200" in session  # 12 h
    listed = phone.http.get(back.headers["location"])
    assert listed.status_code == 200
    assert code in listed.text
    assert "我的优惠" in listed.text
    [exchange] = wechat.get("/_sim/requests", params={"path": EXCHANGE}).json()
    assert exchange["query"]["grant_type"] == "authorization_code"
    assert exchange["response"]["body"]["openid"] == FAN
    assert exchange["response"]["body"]["expires_in"] == 7200


def test_a_code_is_good_once(phone: Phone, wechat: httpx.Client, merchant_id: int) -> None:
    start = phone.start(f"/wx/{merchant_id}/vouchers")
    flow_cookie = phone.http.cookies[FLOW_COOKIE]
    callback = phone.authorize(str(start.headers["location"]).split("#")[0], FAN)
    assert phone.http.get(callback).status_code == 303
    # the same callback again (a double tap, the back button) with the flow cookie it had
    replay = httpx.get(callback, cookies={FLOW_COOKIE: flow_cookie}, follow_redirects=False)
    assert replay.status_code == 400
    assert error_code(replay) == "wechat_auth_code_invalid"
    assert "微信授权已使用或已过期" in replay.text
    answers = [c["response"]["body"] for c in wechat.get("/_sim/requests").json()]
    assert [a.get("errcode") for a in answers if isinstance(a, dict) and "errcode" in a] == [40163]


def test_a_forged_or_foreign_state_is_refused(
    phone: Phone, other_phone: Phone, wechat: httpx.Client, merchant_id: int
) -> None:
    start = phone.start(f"/wx/{merchant_id}/vouchers")
    callback = phone.authorize(str(start.headers["location"]).split("#")[0], FAN)
    q = query_of(callback)
    forged = q["state"][:-1] + ("0" if q["state"][-1] != "0" else "1")
    refused = phone.http.get("/wx/oauth/callback", params={"code": q["code"], "state": forged})
    assert refused.status_code == 403
    assert error_code(refused) == "consumer_sign_in_invalid"
    assert "vb_consumer" not in refused.headers.get("set-cookie", "")
    # a state this browser never started (login CSRF: someone else's sign-in pushed to us)
    foreign = other_phone.http.get("/wx/oauth/callback", params=q)
    assert foreign.status_code == 403
    assert error_code(foreign) == "consumer_sign_in_invalid"
    assert wechat.get("/_sim/requests", params={"path": EXCHANGE}).json() == []
    # the phone that started it still signs in with its own, untouched state
    assert phone.http.get(callback).status_code == 303


def test_a_next_path_to_another_host_lands_on_my_vouchers(
    app: Any, phone: Phone, wechat: httpx.Client, merchant_id: int
) -> None:
    base = urlsplit_base(str(phone.http.base_url))
    for hostile in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "/console"):
        request = Request(
            {
                "type": "http",
                "app": app,
                "method": "GET",
                "scheme": "http",
                "server": base,
                "path": "/wx/t/x",
                "query_string": b"",
                "headers": [(b"host", f"{base[0]}:{base[1]}".encode())],
            }
        )
        redirect = sign_in_redirect(request, merchant_id, hostile)
        flow = redirect.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        phone.http.cookies.set(FLOW_COOKIE, flow)
        callback = phone.authorize(redirect.headers["location"].split("#")[0], FAN)
        back = phone.http.get(callback)
        assert back.status_code == 303, hostile
        assert back.headers["location"] == f"/wx/{merchant_id}/vouchers", hostile


def test_wechat_down_is_a_page_not_a_500(
    phone: Phone, wechat: httpx.Client, merchant_id: int
) -> None:
    start = phone.start(f"/wx/{merchant_id}/vouchers")
    callback = phone.authorize(str(start.headers["location"]).split("#")[0], FAN)
    fault = {"path": EXCHANGE, "kind": "http_503", "count": 1}
    wechat.post("/_sim/faults", json=fault).raise_for_status()
    down = phone.http.get(callback)
    assert down.status_code == 503
    assert error_code(down) == "wechat_unavailable"
    assert "微信暂时无法连接" in down.text


def urlsplit_base(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80
