"""Dianping's published examples (tests/platforms/published/dianping_*.json, each naming its
source) fed to our client, and our simulator compared with them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.platforms.published import published, stub_server, type_gaps
from voucherbridge.platforms.meituan.answers import end_time
from voucherbridge.platforms.meituan.client import MeituanClient
from voucherbridge.platforms.meituan.session import MeituanSession
from voucherbridge.platforms.meituan.signing import signed_params
from voucherbridge.platforms.ports import Credentials
from voucherbridge_sims.meituan.simulator import MeituanSimConfig, ServerThread, create_app

KEY, SECRET = "mt-pub-key", "mt-pub-secret"
PREPARE = "/router/tuangou/receipt/prepare"
TOKEN = "/router/oauth/token"
SCOPE = "/router/oauth/session/scope"
QUERY = "/router/oauth/session/query"
CHINA = ZoneInfo("Asia/Shanghai")
PREPARED = published("dianping_prepare.json")
OAUTH = published("dianping_oauth.json")


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with ServerThread(create_app(MeituanSimConfig(app_key=KEY, app_secret=SECRET))) as server:
        yield server.base_url


@pytest.fixture
def sim(sim_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_url, timeout=10) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


@pytest.fixture
def meituan(sim_url: str, sim: httpx.Client) -> Iterator[MeituanClient]:
    client = MeituanClient(sim_url, KEY, SECRET, retry_wait_s=0)
    yield client
    client.close()


def form_of(call: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(call["body"] or "")


# ---- 1. receipt_end_date -----------------------------------------------------------------------
def test_the_real_prepare_answer_is_read_with_its_end_date() -> None:
    with stub_server() as (stub, base_url):
        stub.queue(PREPARE, PREPARED["real_answer"])
        client = MeituanClient(base_url, KEY, SECRET, retry_wait_s=0)
        try:
            prepared = client.prepare(Credentials("meituan", "shop", "sess"), "5571630793")
        finally:
            client.close()
    [cert] = prepared.certificates
    assert cert.expires_at == datetime(2023, 11, 30, 23, 59, 59, tzinfo=CHINA)
    assert (cert.title, cert.product_id) == ("60分钟足部足疗", "993507556")
    assert (cert.value_fen, cert.paid_fen) == (10000, 100)  # yuan decimals → fen


@pytest.mark.parametrize("value", PREPARED["end_date_forms"])
def test_every_published_form_of_the_end_date_is_read(value: Any) -> None:
    expected = datetime(2023, 11, 30, 23, 59, tzinfo=CHINA)
    found = end_time(value)
    assert found is not None
    assert found.replace(second=0) == expected


def test_the_simulators_prepare_has_the_go_models_types_and_the_real_answers_key(
    sim: httpx.Client, meituan: MeituanClient
) -> None:
    code = sim.post(
        "/_sim/meituan/receipts",
        json={"open_shop_uuid": "mt-shop-1", "deal_id": "4100200", "price_yuan": "60"},
    ).json()["codes"][0]
    meituan.prepare(Credentials("meituan", "mt-shop-1", "mt-demo-session"), code)
    [call] = sim.get("/_sim/requests", params={"path": PREPARE}).json()
    data = call["response"]["body"]["data"]

    assert type_gaps(PREPARED["go_model_types"], data) == []
    assert isinstance(data["receiptEndDate"], int)  # as in the real answer
    assert end_time(data["receiptEndDate"]) == end_time(data["receipt_end_date"])


# ---- 3. the token exchange and the shop-scope call ------------------------------------------
def test_the_token_exchange_sends_the_published_params_and_keeps_bid_and_refresh_count(
    sim: httpx.Client, meituan: MeituanClient
) -> None:
    callback = "https://vb.example.test/meituan/callback"
    auth = sim.post(
        "/_sim/meituan/auth_codes", json={"shops": ["mt-shop-2"], "redirect_url": callback}
    ).json()

    grant = meituan.exchange_auth_code(auth["auth_code"], callback)

    [call] = sim.get("/_sim/requests", params={"path": TOKEN}).json()
    assert set(form_of(call)) == set(OAUTH["token_request_params"])
    assert form_of(call)["redirect_url"] == [callback]
    assert type_gaps(OAUTH["token_answer_types"], call["response"]["body"]) == []
    kept = MeituanSession.of(grant.secret())
    assert (kept.session, kept.bid) == (grant.access_token, auth["bid"])
    assert (kept.refresh_token, kept.remain_refresh_count) == (grant.refresh_token, 12)


def test_the_scope_call_carries_bid_and_the_answers_have_the_published_types(
    sim: httpx.Client, meituan: MeituanClient
) -> None:
    assert meituan.test_binding("mt-shop-1", "mt-demo-session") == "右姑娘火锅(皇岗店)"

    [queried] = sim.get("/_sim/requests", params={"path": QUERY}).json()
    assert type_gaps(OAUTH["session_query_data_types"], queried["response"]["body"]["data"]) == []
    [scoped] = sim.get("/_sim/requests", params={"path": SCOPE}).json()
    form = form_of(scoped)
    assert all(form.get(p) for p in OAUTH["scope_required_params"]), form
    for shop in scoped["response"]["body"]["data"]:
        assert type_gaps(OAUTH["scope_shop_types"], shop) == []


def test_a_scope_call_without_bid_is_refused_by_the_simulator(sim: httpx.Client) -> None:
    form = signed_params(KEY, SECRET, "mt-demo-session", {}, datetime.now(CHINA))
    answer = sim.post(SCOPE, data=form).json()
    assert answer["code"] != 200
    assert "bid" in answer["msg"]
