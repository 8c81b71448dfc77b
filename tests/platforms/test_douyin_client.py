"""DouyinClient against the Douyin simulator over real loopback HTTP: what the cashier sees when
a 抖音券 is scanned, verified, reversed, and when Douyin is slow, down or says no."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import render
from voucherbridge.platforms.douyin.client import DouyinClient
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge_sims.douyin.simulator import DouyinSimConfig, ServerThread, create_app

KEY, SECRET = "ck-client-test", "cs-client-test"
POI, OTHER_POI = "7001", "7002"
VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
PREPARE = "/goodlife/v1/fulfilment/certificate/prepare/"
TOKEN = "/oauth/stable_client_token/"
CREDS = Credentials("douyin", POI, "")


# ---- our service's stand-in for the issue SPI of merchant codes (三方码) -------------------------
def issuer_app() -> FastAPI:
    app = FastAPI()

    @app.post("/hooks/douyin/spi/issue")
    async def issue(request: Request) -> Any:
        body = json.loads(await request.body())
        certs = [
            {"certificate_id": f"C{body['order_id']}-{i}", "code": f"D{body['order_id'][-8:]}{i}"}
            for i in range(body["count"])
        ]
        return {
            "data": {"error_code": 0, "description": "success", "result": 1, "certificates": certs}
        }

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(issuer_app()) as issuer:
        config = DouyinSimConfig(
            client_key=KEY,
            client_secret=SECRET,
            target_base_url=issuer.base_url,
            time_scale=0.001,
        )
        with ServerThread(create_app(config)) as server:
            yield server.base_url


@pytest.fixture
def hooks(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


def make_client(base_url: str, **options: Any) -> DouyinClient:
    options.setdefault("retry_wait_s", 0)
    return DouyinClient(base_url, KEY, SECRET, short_link_base=f"{base_url}/s", **options)


@pytest.fixture
def client(base_url: str, hooks: httpx.Client) -> Iterator[DouyinClient]:
    douyin = make_client(base_url)
    yield douyin
    douyin.close()


def buy(hooks: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"poi_id": POI, "sku_id": "sku-100", "third_sku_id": "LST-100", **fields}
    response = hooks.post("/_sim/douyin/orders", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def douyin_link(short_link: str) -> str:
    """What the consumer's QR shows: the v.douyin.com form of the simulator's short link."""
    return "https://v.douyin.com/" + urlsplit(short_link).path.rsplit("/", 1)[-1] + "/"


def state(hooks: httpx.Client) -> dict[str, Any]:
    return dict(hooks.get("/_sim/state").json())


def fault(hooks: httpx.Client, path: str, kind: str, count: int) -> None:
    hooks.post("/_sim/faults", json={"path": path, "kind": kind, "count": count}).raise_for_status()


def refused(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


# ---- prepare ----------------------------------------------------------------------------------
def test_prepare_plain_code_shows_title_and_amounts(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    bought = buy(hooks, title="100元代金券", original_amount=10000, pay_amount=6000)
    code = bought["codes"][0]["code"]

    prepared = client.prepare(CREDS, code)

    assert prepared.platform == "douyin"
    assert prepared.platform_order_id == bought["order_id"]
    assert prepared.session
    [cert] = prepared.certificates
    assert cert.code == code
    assert cert.handle == bought["codes"][0]["encrypted_code"]
    assert (cert.title, cert.product_id, cert.listing_id) == ("100元代金券", "sku-100", "LST-100")
    assert (cert.value_fen, cert.paid_fen) == (10000, 6000)
    assert cert.expires_at is not None
    assert cert.expires_at.tzinfo is not None
    assert state(hooks)["verifications"] == []  # prepare changes nothing


def test_prepare_short_link_resolves_object_id(client: DouyinClient, hooks: httpx.Client) -> None:
    bought = buy(hooks, count=2)
    link = douyin_link(bought["codes"][1]["short_link"])

    prepared = client.prepare(CREDS, link)

    [cert] = prepared.certificates
    assert cert.handle == bought["codes"][1]["encrypted_code"]
    assert cert.code == ""  # a short link reveals the plain code only at verify
    [call] = hooks.get("/_sim/requests", params={"path": PREPARE}).json()
    assert call["query"]["encrypted_data"] == bought["codes"][1]["object_id"]
    assert "code" not in call["query"]
    [done] = client.verify(CREDS, prepared, 1, "r-link")
    assert done.code == bought["codes"][1]["code"]


def test_unknown_code_and_unknown_short_link_are_not_found(client: DouyinClient) -> None:
    assert refused(client.prepare, CREDS, "620000000000001").code is ErrorCode.VOUCHER_NOT_FOUND
    link = "v.douyin.com/NoSuchId"
    assert refused(client.prepare, CREDS, link).code is ErrorCode.VOUCHER_NOT_FOUND


def test_wrong_store_is_not_applicable(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks, poi_id=POI)["codes"][0]["code"]
    elsewhere = Credentials("douyin", OTHER_POI, "")

    error = refused(client.prepare, elsewhere, code)

    assert error.code is ErrorCode.VOUCHER_STORE_NOT_APPLICABLE
    assert error.params["code"] == code


def test_expired_code_is_expired(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks, valid_days=1)["codes"][0]["code"]
    hooks.post("/_sim/clock", json={"advance_s": 2 * 86400}).raise_for_status()

    error = refused(client.prepare, CREDS, code)

    assert error.code is ErrorCode.VOUCHER_EXPIRED


# ---- verify -----------------------------------------------------------------------------------
def test_two_codes_of_one_order_in_one_verify(client: DouyinClient, hooks: httpx.Client) -> None:
    bought = buy(hooks, count=2)
    link = "v.douyin.com/" + urlsplit(bought["order_short_link"]).path.rsplit("/", 1)[-1]

    prepared = client.prepare(CREDS, link)
    assert len(prepared.certificates) == 2
    done = client.verify(CREDS, prepared, 2, "r-two")

    assert sorted(d.code for d in done) == sorted(c["code"] for c in bought["codes"])
    assert all(d.certificate_id and d.verify_id for d in done)
    assert len(state(hooks)["verifications"]) == 2


def test_count_larger_than_prepared_is_a_validation_error(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    prepared = client.prepare(CREDS, buy(hooks)["codes"][0]["code"])

    error = refused(client.verify, CREDS, prepared, 2, "r-count")

    assert error.code is ErrorCode.VALIDATION_ERROR
    assert error.params == {"field": "count"}
    assert state(hooks)["verifications"] == []


def test_used_code_is_already_redeemed(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    client.verify(CREDS, client.prepare(CREDS, code), 1, "r-first")

    error = refused(client.prepare, CREDS, code)

    assert error.code is ErrorCode.VOUCHER_ALREADY_REDEEMED
    assert error.params["code"] == code


def test_lost_verify_answer_is_retried_with_same_token_and_counted_once(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    code = buy(hooks)["codes"][0]["code"]
    prepared = client.prepare(CREDS, code)
    fault(hooks, VERIFY, "after_commit_503", 1)

    [done] = client.verify(CREDS, prepared, 1, "r-lost")

    assert done.code == code
    [recorded] = state(hooks)["verifications"]
    assert recorded["verify_id"] == done.verify_id
    calls = hooks.get("/_sim/requests", params={"path": VERIFY}).json()
    assert [c["fault"] for c in calls] == ["after_commit_503", None]
    assert {c["body"]["verify_token"] for c in calls} == {prepared.session}


def test_platform_down_after_max_attempts(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    fault(hooks, PREPARE, "http_503", 3)

    error = refused(client.prepare, CREDS, code)

    assert error.code is ErrorCode.PLATFORM_UNAVAILABLE
    assert render(error.code, error.params) == "抖音暂时无法验券,请稍后重试"
    assert render(error.code, error.params, "en").startswith("Douyin cannot verify")
    assert len(hooks.get("/_sim/requests", params={"path": PREPARE}).json()) == 3


def test_two_failures_then_success(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    fault(hooks, PREPARE, "http_503", 2)

    assert client.prepare(CREDS, code).certificates[0].code == code
    fault(hooks, VERIFY, "biz_error", 2)  # 2100004 系统繁忙: retried like a 503
    prepared = client.prepare(CREDS, code)
    assert client.verify(CREDS, prepared, 1, "r-busy")[0].code == code


def test_timeout_is_retried(base_url: str, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    hooks.post(
        "/_sim/faults", json={"path": PREPARE, "kind": "timeout", "count": 1, "timeout_s": 1.0}
    ).raise_for_status()
    douyin = make_client(base_url, timeout_s=0.3)
    try:
        assert douyin.prepare(CREDS, code).certificates[0].code == code
    finally:
        douyin.close()


# ---- tokens -----------------------------------------------------------------------------------
def test_token_is_cached_and_expiry_is_handled(client: DouyinClient, hooks: httpx.Client) -> None:
    bought = buy(hooks, count=2, valid_days=30)
    first, second = (c["code"] for c in bought["codes"])
    client.prepare(CREDS, first)
    client.prepare(CREDS, first)
    assert len(hooks.get("/_sim/requests", params={"path": TOKEN}).json()) == 1

    hooks.post("/_sim/clock", json={"advance_s": 7300}).raise_for_status()
    prepared = client.prepare(CREDS, second)  # the cached token is refused once, then renewed

    assert prepared.certificates[0].code == second
    assert len(hooks.get("/_sim/requests", params={"path": TOKEN}).json()) == 2
    tokens = state(hooks)["tokens"]
    prepares = hooks.get("/_sim/requests", params={"path": PREPARE}).json()
    assert prepares[-1]["headers"]["access-token"] == tokens[-1]["access_token"]
    assert prepares[-1]["headers"]["content-type"] == "application/json"


# ---- cancel -----------------------------------------------------------------------------------
def test_cancel_within_the_hour_frees_the_code(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    [done] = client.verify(CREDS, client.prepare(CREDS, code), 1, "r-cancel")

    client.cancel(CREDS, done)
    client.cancel(CREDS, done)  # already cancelled counts as done

    [recorded] = state(hooks)["verifications"]
    assert recorded["cancelled_at"] is not None
    assert client.prepare(CREDS, code).certificates[0].code == code  # usable again


def test_cancel_after_61_minutes_is_refused(client: DouyinClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]["code"]
    [done] = client.verify(CREDS, client.prepare(CREDS, code), 1, "r-late")
    hooks.post("/_sim/clock", json={"advance_s": 3660}).raise_for_status()

    error = refused(client.cancel, CREDS, done)

    assert error.code is ErrorCode.PLATFORM_REVERSAL_REFUSED
    assert error.params == {"platform": "douyin", "description": "已超过可撤销时限,无法撤销核销"}
    assert (
        render(error.code, error.params)
        == "抖音拒绝撤销核销,不能反结账退券:已超过可撤销时限,无法撤销核销"
    )
    assert state(hooks)["verifications"][0]["cancelled_at"] is None


def test_cancel_of_unknown_verify_is_refused_in_douyins_words(client: DouyinClient) -> None:
    error = refused(client.cancel, CREDS, VerifiedCode("1", "123", "456"))

    assert error.code is ErrorCode.PLATFORM_REFUSED
    assert render(error.code, error.params) == "抖音拒绝了本次操作:核销记录不存在"


# ---- binding test -----------------------------------------------------------------------------
def test_binding_asks_for_the_poi_with_the_apps_token_as_the_authorizing_account(
    client: DouyinClient, hooks: httpx.Client, base_url: str
) -> None:
    hooks.post("/_sim/douyin/pois", json={"poi_id": "8001", "poi_name": "皇岗店"})
    account = state(hooks)["config"]["account_id"]

    assert client.test_binding("8001", "") == "皇岗店"  # Douyin finds the POI's account
    assert client.test_binding("8001", account) == "皇岗店"
    unknown = refused(client.test_binding, "8999", account)
    assert unknown.code is ErrorCode.BINDING_REJECTED

    stranger = refused(client.test_binding, "8001", "7100000000000000999")
    assert stranger.code is ErrorCode.BINDING_UNAUTHORIZED
    assert render(stranger.code, stranger.params) == (
        "商家尚未在抖音授权本应用,请在抖音商家后台完成授权后重新绑定"
    )
    hooks.post("/_sim/authorization", json={"account_id": account, "authorized": False})
    withdrawn = refused(client.test_binding, "8001", "")
    assert withdrawn.code is ErrorCode.BINDING_UNAUTHORIZED

    wrong_app = DouyinClient(base_url, KEY, "not-our-app-secret", retry_wait_s=0)
    try:
        rejected = refused(wrong_app.test_binding, "8001", "")
    finally:
        wrong_app.close()
    assert rejected.code is ErrorCode.BINDING_REJECTED
    assert render(rejected.code, rejected.params) == "抖音绑定失败:门店 id 或密钥错误"


def test_a_withdrawn_authorization_is_said_at_the_till(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    code = buy(hooks)["codes"][0]["code"]
    account = state(hooks)["config"]["account_id"]
    hooks.post("/_sim/authorization", json={"account_id": account, "authorized": False})

    error = refused(client.prepare, CREDS, code)

    assert error.code is ErrorCode.BINDING_UNAUTHORIZED


# ---- merchant codes (三方码) --------------------------------------------------------------------
def test_sync_use_and_sync_cancel_of_a_merchant_code(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    bought = buy(hooks, code_type="merchant", count=1)
    assert bought["status"] == "issued", bought
    code = bought["codes"][0]["code"]
    args = {"douyin_order_id": bought["order_id"], "codes": [code], "verify_token": "RDM-1"}
    fault(hooks, VERIFY, "after_commit_503", 1)

    [used] = client.sync_use(CREDS, **args)

    assert used.code == code
    assert used.verify_id
    [recorded] = state(hooks)["verifications"]  # the lost answer did not count twice
    assert recorded["verify_token"] == "RDM-1"

    client.sync_cancel(CREDS, **args)
    client.sync_cancel(CREDS, **args)  # a redelivered reversal is harmless

    [recorded] = state(hooks)["verifications"]
    assert recorded["cancelled_at"] is not None


# ---- the PROTOCOLS §1.1 rule, which the simulator cannot produce (it replays the first answer) --
def _fake_douyin(verify_answers: list[Any], poi_of_record: str) -> httpx.Client:
    answers = iter(verify_answers)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == TOKEN:
            return httpx.Response(200, json={"data": {"access_token": "t", "expires_in": 7200}})
        if path == VERIFY:
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(200, json=answer)
        if path == "/goodlife/v1/fulfilment/certificate/get/":
            verify = {"verify_id": "V1", "certificate_id": "C1", "poi_id": poi_of_record}
            cert = {"code": "111122223333444", "certificate_id": "C1", "verify": verify}
            return httpx.Response(200, json={"data": {"certificate": cert}, "extra": {}})
        return httpx.Response(404)

    return httpx.Client(base_url="http://douyin.test", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize(("poi_of_record", "ours"), [(POI, True), (OTHER_POI, False)])
def test_used_after_a_lost_answer_is_ours_only_when_our_store_verified_it(
    poi_of_record: str, ours: bool
) -> None:
    used = {"data": {"verify_results": [{"result": 1208, "code": "enc"}]}, "extra": {}}
    http = _fake_douyin([httpx.ReadTimeout("lost"), used], poi_of_record)
    douyin = DouyinClient("http://douyin.test", KEY, SECRET, retry_wait_s=0, http=http)
    prepared = PreparedCodes(
        platform="douyin",
        platform_order_id="O1",
        certificates=(
            PlatformCertificate("111122223333444", "enc", "t", "s", None, 100, 60, None),
        ),
        session="vt",
    )
    if ours:
        [done] = douyin.verify(CREDS, prepared, 1, "r")
        assert (done.code, done.certificate_id, done.verify_id) == ("111122223333444", "C1", "V1")
    else:
        error = refused(douyin.verify, CREDS, prepared, 1, "r")
        assert error.code is ErrorCode.VOUCHER_ALREADY_REDEEMED


def test_refunded_code_is_refused_in_douyins_words(
    client: DouyinClient, hooks: httpx.Client
) -> None:
    bought = buy(hooks)
    hooks.post("/_sim/douyin/refunds", json={"order_id": bought["order_id"]}).raise_for_status()

    error = refused(client.prepare, CREDS, bought["codes"][0]["code"])

    # Douyin publishes no code for "refunded" at prepare: its description is what we show
    assert error.code is ErrorCode.PLATFORM_REFUSED
    assert render(error.code, error.params) == "抖音拒绝了本次操作:券码已退款"
