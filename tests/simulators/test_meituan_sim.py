"""The Meituan / Dianping simulator: signed form calls, the merchant session and its shops,
receipt prepare / consume (count, requestid idempotency) / reverse within and after 10 minutes,
expiry, wrong shop, faults and hooks. Most tests go through TestClient; one drives the simulator
over real HTTP as `voucherbridge simulate meituan` serves it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from voucherbridge.platforms.meituan.signing import sign, signed_params, verify
from voucherbridge_sims.meituan.simulator import (
    MeituanSimConfig,
    ServerThread,
    config_from_env,
    create_app,
)

KEY, SECRET, SESSION = "mt-demo-key", "mt-demo-secret", "mt-demo-session"
DEMO_BID = "mt-demo-bid"
SHOP, OTHER_SHOP = "mt-shop-1", "mt-shop-2"
R = "/router/tuangou/receipt"


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(MeituanSimConfig())


@pytest.fixture
def sim(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        client.post("/_sim/reset").raise_for_status()
        yield client


def call(
    sim: TestClient | httpx.Client,
    path: str,
    params: dict[str, str],
    *,
    session: str | None = SESSION,
    secret: str = SECRET,
    now: datetime | None = None,
) -> dict[str, Any]:
    form = signed_params(KEY, secret, session, params, now or datetime.now(UTC))
    response = sim.post(path, data=form)
    assert response.status_code == 200, response.text
    return dict(response.json())


def buy(sim: TestClient | httpx.Client, **spec: Any) -> dict[str, Any]:
    body = {"open_shop_uuid": SHOP, "deal_id": "100200300", "title": "100元代金券", **spec}
    response = sim.post("/_sim/meituan/receipts", json={"price_yuan": "59.9", **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def consume(
    sim: TestClient, code: str, requestid: str, count: int = 1, shop: str = SHOP
) -> dict[str, Any]:
    return call(
        sim,
        f"{R}/consume",
        {"receipt_code": code, "requestid": requestid, "count": str(count), "open_shop_uuid": shop},
    )


# ---- signing -----------------------------------------------------------------------------------
def test_sign_is_md5_of_secret_sorted_key_values_secret() -> None:
    params = {"v": "1", "app_key": "k", "sign_method": "MD5", "timestamp": "2025-05-25 12:00:00"}
    expected = hashlib.md5(b"sapp_keyksign_methodMD5timestamp2025-05-25 12:00:00v1s").hexdigest()
    assert sign("s", params) == expected
    assert verify("s", {**params, "sign": expected.upper()})
    assert not verify("s", {**params, "v": "2", "sign": expected})
    signed = signed_params("k", "s", "sess", {"a": "1"}, datetime(2025, 5, 25, 4, tzinfo=UTC))
    assert signed["timestamp"] == "2025-05-25 12:00:00"  # Beijing wall clock
    assert (signed["format"], signed["session"]) == ("json", "sess")


def test_bad_sign_wrong_app_key_and_stale_timestamp_are_refused(sim: TestClient) -> None:
    code = buy(sim)["codes"][0]
    params = {"receipt_code": code, "open_shop_uuid": SHOP}
    assert call(sim, f"{R}/prepare", params, secret="not-the-secret")["code"] == 401
    stale = datetime.now(UTC) - timedelta(hours=1)
    assert call(sim, f"{R}/prepare", params, now=stale)["code"] == 401
    form = signed_params("other-key", SECRET, SESSION, params, datetime.now(UTC))
    assert sim.post(f"{R}/prepare", data=form).json()["code"] == 401
    tampered = signed_params(KEY, SECRET, SESSION, params, datetime.now(UTC))
    tampered["receipt_code"] = "1234567890"
    assert sim.post(f"{R}/prepare", data=tampered).json()["code"] == 401
    assert call(sim, f"{R}/prepare", params)["code"] == 200


# ---- sessions ----------------------------------------------------------------------------------
def test_demo_session_covers_three_shops_and_an_auth_code_gives_a_session(
    sim: TestClient,
) -> None:
    assert call(sim, "/router/oauth/session/scope", {})["code"] == 400  # bid is required
    queried = call(sim, "/router/oauth/session/query", {})
    assert (queried["code"], queried["data"]["bid"]) == (200, DEMO_BID)
    scope = call(sim, "/router/oauth/session/scope", {"bid": DEMO_BID})
    assert scope["code"] == 200
    assert [s["open_shop_uuid"] for s in scope["data"]] == ["mt-shop-1", "mt-shop-2", "mt-shop-3"]
    assert scope["data"][0]["branchname"] == "皇岗店"
    assert set(scope["data"][0]) == {
        "open_shop_uuid",
        "shopname",
        "branchname",
        "shop_address",
        "cityname",
    }
    assert call(sim, "/router/oauth/session/scope", {"bid": "other"})["code"] == 401
    assert call(sim, "/router/oauth/session/scope", {"bid": DEMO_BID}, session="nope")["code"] == (
        401
    )

    auth = sim.post("/_sim/meituan/auth_codes", json={"shops": [OTHER_SHOP]}).json()
    grant = {"app_key": KEY, "app_secret": SECRET, "grant_type": "authorization_code"}
    token = sim.post("/router/oauth/token", data={**grant, "auth_code": auth["auth_code"]}).json()
    assert (token["code"], token["expires_in"]) == (200, 30 * 86400)
    again = sim.post("/router/oauth/token", data={**grant, "auth_code": auth["auth_code"]}).json()
    assert again["code"] == 401  # an auth_code is good once
    assert token["remain_refresh_count"] == 12
    mine = call(
        sim, "/router/oauth/session/scope", {"bid": token["bid"]}, session=token["access_token"]
    )
    assert [s["open_shop_uuid"] for s in mine["data"]] == [OTHER_SHOP]
    code = buy(sim)["codes"][0]
    outside = call(
        sim,
        f"{R}/prepare",
        {"receipt_code": code, "open_shop_uuid": SHOP},
        session=token["access_token"],
    )
    assert outside["code"] == 401  # the session does not cover mt-shop-1

    refreshed = sim.post(
        "/router/oauth/token",
        data={
            "app_key": KEY,
            "app_secret": SECRET,
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
        },
    ).json()
    assert (refreshed["code"], refreshed["remain_refresh_count"]) == (200, 11)
    old = call(
        sim, "/router/oauth/session/scope", {"bid": token["bid"]}, session=token["access_token"]
    )
    assert old["code"] == 401  # the refreshed session replaces the old one


def test_expired_sessions_are_refused(sim: TestClient) -> None:
    sim.post("/_sim/meituan/sessions/expire", json={}).raise_for_status()
    answer = call(sim, "/router/oauth/session/scope", {"bid": DEMO_BID})
    assert (answer["code"], answer["msg"]) == (401, "session已过期")
    sim.post("/_sim/reset")
    assert call(sim, "/router/oauth/session/scope", {"bid": DEMO_BID})["code"] == 200


# ---- receipts ----------------------------------------------------------------------------------
def test_prepare_shows_the_receipt_and_changes_nothing(sim: TestClient) -> None:
    bought = buy(sim, count=3, market_price_yuan=100, valid_days=7)
    assert len(bought["codes"]) == 3
    assert all(len(c) == 10 and c.isdigit() for c in bought["codes"])
    data = call(sim, f"{R}/prepare", {"receipt_code": bought["codes"][1], "open_shop_uuid": SHOP})[
        "data"
    ]
    assert (data["deal_price"], data["deal_marketprice"], data["count"]) == (59.9, 100.0, 3)
    assert data["deal_id"] == 100200300
    assert data["receipt_end_date"] == bought["receipt_end_date"]
    assert sim.get("/_sim/state").json()["consumes"] == []
    unknown = call(sim, f"{R}/prepare", {"receipt_code": "1000000001", "open_shop_uuid": SHOP})
    assert (unknown["code"], unknown["msg"]) == (404, "券码不存在")
    elsewhere = call(
        sim, f"{R}/prepare", {"receipt_code": bought["codes"][0], "open_shop_uuid": OTHER_SHOP}
    )
    assert (elsewhere["code"], elsewhere["msg"]) == (403, "非适用门店")


def test_consume_count_uses_several_codes_of_the_group_and_requestid_is_idempotent(
    sim: TestClient,
) -> None:
    codes = buy(sim, count=3)["codes"]
    first = consume(sim, codes[1], "req-1", count=2)
    assert first["code"] == 200
    used = [item["receipt_code"] for item in first["data"]]
    assert (used[0], len(set(used))) == (codes[1], 2)
    assert set(used) < set(codes)
    assert first["data"][0]["deal_price"] == 59.9

    replay = consume(sim, codes[1], "req-1", count=2)
    assert replay == first  # same requestid: the first answer, nothing consumed again
    assert len(sim.get("/_sim/state").json()["consumes"]) == 2
    reused = consume(sim, codes[0], "req-1")
    assert reused["code"] == 400  # a requestid is good for one call only

    (left,) = set(codes) - set(used)
    left_prepared = call(sim, f"{R}/prepare", {"receipt_code": left, "open_shop_uuid": SHOP})
    assert left_prepared["data"]["count"] == 1
    assert consume(sim, left, "req-2", count=2)["code"] == 400  # only one left
    assert consume(sim, used[1], "req-3")["code"] == 409
    prepared_used = call(sim, f"{R}/prepare", {"receipt_code": used[0], "open_shop_uuid": SHOP})
    assert (prepared_used["code"], prepared_used["msg"]) == (409, "券码已验证")
    assert call(sim, f"{R}/consume", {"receipt_code": left, "open_shop_uuid": SHOP})["code"] == 400


def test_reverse_within_ten_minutes_and_refused_after(sim: TestClient) -> None:
    codes = buy(sim, count=2, deal_id="777")["codes"]
    assert consume(sim, codes[0], "r-1")["code"] == 200
    sim.post("/_sim/clock", json={"advance_s": 9 * 60}).raise_for_status()
    reverse = {"receipt_code": codes[0], "open_shop_uuid": SHOP}
    wrong_deal = call(sim, f"{R}/reverseconsume", {**reverse, "app_deal_id": "778"})
    assert wrong_deal["code"] == 400
    done = call(sim, f"{R}/reverseconsume", {**reverse, "app_deal_id": "777"})
    assert done["code"] == 200
    assert call(sim, f"{R}/reverseconsume", {**reverse, "app_deal_id": "777"})["code"] == 406
    assert consume(sim, codes[0], "r-2")["code"] == 200  # usable again

    got = call(sim, f"{R}/getconsumed", reverse)
    assert (got["code"], got["data"]["requestid"]) == (200, "r-2")
    sim.post("/_sim/clock", json={"advance_s": 11 * 60}).raise_for_status()
    late = call(sim, f"{R}/reverseconsume", {**reverse, "app_deal_id": "777"})
    assert (late["code"], late["msg"]) == (412, "超过可撤销时间")


def test_expired_receipts_are_refused(sim: TestClient) -> None:
    code = buy(sim, valid_days=1)["codes"][0]
    sim.post("/_sim/clock", json={"advance_s": 86400 + 1}).raise_for_status()
    answer = call(sim, f"{R}/prepare", {"receipt_code": code, "open_shop_uuid": SHOP})
    assert (answer["code"], answer["msg"]) == (410, "券码已过期")
    assert consume(sim, code, "x-1")["code"] == 410


def test_querylistbydate_serves_live_consumes_or_the_built_statement(sim: TestClient) -> None:
    sim.post("/_sim/clock", json={"now": "2025-05-25T04:00:00+00:00"})
    codes = buy(sim, count=2)["codes"]
    consume(sim, codes[0], "s-1")
    consume(sim, codes[1], "s-2")
    query = {"date": "2025-05-25", "offset": "0", "limit": "10", "open_shop_uuid": SHOP}
    live = call(sim, f"{R}/querylistbydate", query)["data"]
    assert live["total_count"] == 2
    assert {r["requestid"] for r in live["records"]} == {"s-1", "s-2"}
    sim.post(
        "/_sim/statement",
        json={"date": "2025-05-25", "drop": ["s-1"], "amount_delta_fen": {"s-2": -100}, "extra": 1},
    ).raise_for_status()
    built = call(sim, f"{R}/querylistbydate", query)["data"]
    assert built["total_count"] == 2
    by_id = {r["requestid"]: r for r in built["records"]}
    assert "s-1" not in by_id
    assert by_id["s-2"]["deal_price"] == 58.9
    page = call(sim, f"{R}/querylistbydate", {**query, "offset": "1", "limit": "1"})["data"]
    assert (page["total_count"], len(page["records"])) == (2, 1)


def test_scanprepare_lists_the_usable_codes_behind_a_qr(sim: TestClient) -> None:
    bought = buy(sim, count=2)
    listed = call(sim, f"{R}/scanprepare", {"qr_code": bought["qr_code"], "open_shop_uuid": SHOP})
    assert sorted(r["receipt_code"] for r in listed["data"]) == sorted(bought["codes"])


# ---- faults and recording ----------------------------------------------------------------------
def test_faults_answer_503_or_a_busy_envelope_and_calls_are_recorded(sim: TestClient) -> None:
    code = buy(sim)["codes"][0]
    sim.post("/_sim/faults", json={"path": f"{R}/consume", "kind": "http_503", "count": 1})
    sim.post("/_sim/faults", json={"path": f"{R}/*", "kind": "biz_error", "biz_code": 429})
    form = signed_params(
        KEY,
        SECRET,
        SESSION,
        {"receipt_code": code, "requestid": "f-1", "open_shop_uuid": SHOP},
        datetime.now(UTC),
    )
    assert sim.post(f"{R}/consume", data=form).status_code == 503
    busy = sim.post(f"{R}/consume", data=form).json()
    assert (busy["code"], busy["msg"]) == (429, "访问过于频繁")
    assert sim.get("/_sim/state").json()["consumes"] == []
    assert sim.post(f"{R}/consume", data=form).json()["code"] == 200

    sim.post("/_sim/faults", json={"path": f"{R}/reverseconsume", "kind": "after_commit_503"})
    reverse = signed_params(
        KEY,
        SECRET,
        SESSION,
        {"receipt_code": code, "app_deal_id": "100200300", "open_shop_uuid": SHOP},
        datetime.now(UTC),
    )
    assert sim.post(f"{R}/reverseconsume", data=reverse).status_code == 503
    assert sim.get("/_sim/state").json()["consumes"][0]["reversed_at"] is not None  # applied
    recorded = sim.get("/_sim/requests", params={"path": f"{R}/consume"}).json()
    assert [r["fault"] for r in recorded] == ["http_503", "biz_error", None]
    assert "requestid=f-1" in recorded[-1]["raw_body"]


def test_real_http_server_from_env_config() -> None:
    config = config_from_env({"MEITUAN_APP_KEY": KEY, "MEITUAN_APP_SECRET": SECRET})
    with ServerThread(create_app(config)) as server, httpx.Client(base_url=server.base_url) as http:
        code = buy(http)["codes"][0]
        answer = call(http, f"{R}/prepare", {"receipt_code": code, "open_shop_uuid": SHOP})
        assert answer["data"]["receipt_code"] == code
