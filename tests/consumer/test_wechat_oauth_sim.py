"""The WeChat simulator's web-page authorization, as WeChat answers it: the authorize page lists
the known users and sends the phone back to redirect_uri with code and state; a code is traded
once for {access_token, expires_in: 7200, refresh_token, openid, scope}, then 40163; after five
minutes 40029; a wrong secret 40125, a wrong appid 40013, a wrong grant_type 40002."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from tests.consumer.conftest import FAN, STRANGER, query_of

APPID, SECRET = "wx-demo-appid", "wx-demo-secret"
BACK = "https://shop.example/wx/oauth/callback?keep=1"


def _authorize(**extra: str) -> str:
    ask = {
        "appid": APPID,
        "redirect_uri": BACK,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s1",
        **extra,
    }
    return "/connect/oauth2/authorize?" + urlencode(ask)


def _code(wechat: httpx.Client, openid: str = FAN) -> str:
    answer = wechat.get(_authorize(_sim_openid=openid))
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith("https://shop.example/wx/oauth/callback?")
    q = query_of(back)
    assert q["state"] == "s1"
    assert q["keep"] == "1"  # redirect_uri's own query stays
    return q["code"]


def _trade(wechat: httpx.Client, code: str, **extra: str) -> dict[str, object]:
    ask = {"appid": APPID, "secret": SECRET, "code": code, "grant_type": "authorization_code"}
    answer = wechat.get("/sns/oauth2/access_token", params={**ask, **extra})
    assert answer.status_code == 200  # business errors are HTTP 200 with errcode, as WeChat
    return dict(answer.json())


def test_the_authorize_page_offers_the_known_users(wechat: httpx.Client) -> None:
    page = wechat.get(_authorize())
    assert page.status_code == 200
    assert "授权登录" in page.text
    assert f'value="{FAN}"' in page.text
    assert f'value="{STRANGER}"' in page.text
    assert "以 小王 的身份登录" in page.text
    for bad in ({"appid": "wx-other"}, {"scope": "snsapi_x"}, {"redirect_uri": "javascript:x"}):
        refused = wechat.get(_authorize(**bad))
        assert refused.status_code == 400, bad
        assert 'id="oauth-error"' in refused.text


def test_a_code_trades_once_for_the_openid(wechat: httpx.Client) -> None:
    code = _code(wechat, STRANGER)
    token = _trade(wechat, code)
    assert set(token) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "openid",
        "scope",
        "is_snapshotuser",
    }
    assert (token["openid"], token["scope"], token["expires_in"]) == (STRANGER, "snsapi_base", 7200)
    assert _trade(wechat, code) == {"errcode": 40163, "errmsg": "code been used"}
    assert _trade(wechat, "nonsense")["errcode"] == 40029


def test_a_code_lives_five_minutes_and_wants_the_apps_credentials(wechat: httpx.Client) -> None:
    old = _code(wechat)
    fresh = _code(wechat)
    assert _trade(wechat, fresh, secret="wrong")["errcode"] == 40125
    assert _trade(wechat, fresh, appid="wx-other")["errcode"] == 40013
    assert _trade(wechat, fresh, grant_type="client_credential")["errcode"] == 40002
    wechat.post("/_sim/clock", json={"advance_s": 301}).raise_for_status()
    assert _trade(wechat, old) == {"errcode": 40029, "errmsg": "invalid code"}
