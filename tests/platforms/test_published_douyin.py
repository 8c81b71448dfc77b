"""Douyin's own published examples (tests/platforms/published/douyin_*.json, each naming its
source) fed to our client through a loopback stub, and our simulator compared with them: the
client and the simulator can no longer agree on a mistake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import FakeClock
from tests.platforms.published import Stub, published, shape_gaps, stub_server
from tests.platforms.test_inbound_hooks import DOUYIN_SECRET, _dumps
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import render
from voucherbridge.platforms.douyin.answers import platform_now
from voucherbridge.platforms.douyin.client import DouyinClient
from voucherbridge.platforms.douyin.messages import signature_refused
from voucherbridge.platforms.douyin.signing import webhook_signature
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge_sims.douyin.simulator import DouyinSimConfig, create_app

PREPARE = "/goodlife/v1/fulfilment/certificate/prepare/"
VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
GET = "/goodlife/v1/fulfilment/certificate/get/"
TOKEN = "/oauth/stable_client_token/"
TOKEN_OK = {"data": {"access_token": "clt.stub", "expires_in": 7200, "error_code": 0}}
POI = "7001"
CREDS = Credentials("douyin", POI, "")
CODES = published("douyin_status_codes.json")
U, R = ErrorCode.PLATFORM_UNAVAILABLE, ErrorCode.PLATFORM_REFUSED
# Every code of the published table, as the merchant meets it. Codes the table says to retry
# are retried (then "try later"); a code we have no meaning for shows Douyin's own words.
EXPECTED = {
    2100001: U,
    2100004: U,
    2100005: ErrorCode.PLATFORM_REQUEST_INVALID,
    2190002: U,
    2190004: R,
    2190008: U,
    2119001: ErrorCode.PLATFORM_REQUEST_INVALID,
    2119002: U,
    2119003: U,
    2119005: ErrorCode.BINDING_UNAUTHORIZED,
    2119008: R,
    2119010: R,
    3000001: R,
    5000001: R,
    1508: ErrorCode.BINDING_UNAUTHORIZED,
    1212: ErrorCode.VOUCHER_NOT_FOUND,
    1033000519: R,
    1502: R,
    3000002: ErrorCode.VOUCHER_STORE_NOT_APPLICABLE,
    2119007: R,
    1263: R,
    4000001: R,
    45005117: R,
    200002: R,
    1229: R,
    1221: R,
    2119006: R,
    4000002: R,
    1241: R,
    1265: R,
    6001001: U,
    3100101: R,
}
RETRIED = {2100001, 2100004, 2119002, 2119003, 6001001}
TOKEN_REFUSED = {2190002, 2190008}  # the token is renewed once, then "try later"
ROWS = [(row[1], row[2]) for row in CODES["general"] + CODES["business"]]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Stub, str]]:
    with stub_server() as found:
        yield found


@pytest.fixture
def stub(served: tuple[Stub, str]) -> Stub:
    served[0].answers.clear()
    served[0].calls.clear()
    served[0].queue(TOKEN, TOKEN_OK)
    return served[0]


@pytest.fixture
def douyin(served: tuple[Stub, str], stub: Stub) -> Iterator[DouyinClient]:
    client = DouyinClient(served[1], "ck-stub", "cs-stub", retry_wait_s=0, max_attempts=3)
    yield client
    client.close()


def refused(call: Any, *args: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


def refusal_body(code: int, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "data": {"error_code": code, "description": description},
        "extra": {"error_code": code, "description": description, "now": 1742975316, **extra},
    }


def prepared_code(handle: str = "CgwIARDAuR4Y") -> PreparedCodes:
    cert = PlatformCertificate("111122223333444", handle, "t", "s", None, 10000, 6000, None)
    return PreparedCodes("douyin", "1080000000000000001", (cert,), session="vt")


# ---- 1. times are seconds -----------------------------------------------------------------------
def test_the_published_answers_clock_is_seconds() -> None:
    example = published("douyin_certificate_get.json")["example"]
    assert platform_now(example) == datetime(2024, 12, 5, 6, 37, 40, tzinfo=UTC)


def test_a_published_prepare_answer_is_usable_now(stub: Stub, douyin: DouyinClient) -> None:
    """With ``extra.now`` read as ms, "now" fell in 1970 and this code read as not yet valid."""
    example = published("douyin_prepare.json")["example"]
    stub.queue(PREPARE, example)

    prepared = douyin.prepare(CREDS, "111122223333444")

    [cert] = prepared.certificates
    assert (cert.handle, cert.value_fen, cert.paid_fen) == ("CgwIARDAuR4Y", 10000, 6000)
    assert cert.expires_at == datetime.fromtimestamp(1750838399, UTC)
    assert (prepared.session, prepared.platform_order_id) == (
        "9f1b6f2e-9c3a-4d1e-a1b2",
        "1080000000000000001",
    )


def test_the_simulator_answers_prepare_get_and_verify_in_the_published_shapes() -> None:
    prepare_example = published("douyin_prepare.json")["example"]
    get_example = published("douyin_certificate_get.json")["example"]
    verify_example = published("douyin_verify.json")["example"]
    config = DouyinSimConfig(client_key="ck", client_secret="cs")
    with TestClient(create_app(config)) as sim:
        token = sim.post(
            TOKEN,
            json={"client_key": "ck", "client_secret": "cs", "grant_type": "client_credential"},
        ).json()["data"]["access_token"]
        h = {"access-token": token}
        bought = sim.post("/_sim/douyin/orders", json={"poi_id": POI, "sku_id": "s"}).json()
        code = bought["codes"][0]["code"]
        prepared = sim.get(PREPARE, params={"code": code, "poi_id": POI}, headers=h).json()
        got = sim.get(
            GET, params={"encrypted_code": bought["codes"][0]["encrypted_code"]}, headers=h
        ).json()
        cert = prepared["data"]["certificates"][0]
        body = {"verify_token": prepared["data"]["verify_token"], "poi_id": POI}
        verified = sim.post(
            VERIFY, json={**body, "encrypted_codes": [cert["encrypted_code"]]}, headers=h
        ).json()

    assert shape_gaps(prepare_example, prepared) == []
    assert shape_gaps(get_example, got) == []
    assert shape_gaps(verify_example, verified) == []
    now = prepared["extra"]["now"]
    assert cert["start_time"] <= now < cert["expire_time"]  # one unit: seconds
    assert abs(now - datetime.now(UTC).timestamp()) < 600


# ---- 4. every published status code -------------------------------------------------------------
@pytest.mark.parametrize(("code", "description"), ROWS, ids=[str(r[0]) for r in ROWS])
def test_every_published_status_code_maps_to_the_catalogue(
    stub: Stub, douyin: DouyinClient, code: int, description: str
) -> None:
    stub.queue(PREPARE, refusal_body(code, description))

    error = refused(douyin.prepare, CREDS, "111122223333444")

    assert error.code is EXPECTED[code], (code, error)
    calls = len(stub.calls_to(PREPARE))
    assert calls == (3 if code in RETRIED else 2 if code in TOKEN_REFUSED else 1), code
    message = render(error.code, error.params)
    if error.code in (R, ErrorCode.PLATFORM_REQUEST_INVALID):
        assert description in message  # never guessed: Douyin's own words
    if error.code is ErrorCode.BINDING_UNAUTHORIZED:
        assert message == "商家尚未在抖音授权本应用,请在抖音商家后台完成授权后重新绑定"


def test_generic_3000001_is_read_by_its_sub_code(stub: Stub, douyin: DouyinClient) -> None:
    stub.queue(PREPARE, refusal_body(3000001, "根据实际业务错误返回", sub_description="券已过期"))
    error = refused(douyin.prepare, CREDS, "111122223333444")
    assert render(error.code, error.params) == "抖音拒绝了本次操作:券已过期"


# ---- 5. Douyin's answer to a cancel decides ------------------------------------------------------
def test_the_published_too_late_answer_is_refused_in_douyins_words(
    stub: Stub, douyin: DouyinClient
) -> None:
    stub.queue(CANCEL, published("douyin_cancel_too_late.json")["example"])

    error = refused(douyin.cancel, CREDS, VerifiedCode("111122223333444", "72", "73"))

    assert error.code is ErrorCode.PLATFORM_REVERSAL_REFUSED
    assert (
        render(error.code, error.params)
        == "抖音拒绝撤销核销,不能反结账退券:已超过可撤销时限,无法撤销核销"
    )
    assert len(stub.calls_to(CANCEL)) == 1  # a refusal is not retried


def test_a_cancel_refused_for_a_transfer_is_not_a_reversal(
    stub: Stub, douyin: DouyinClient
) -> None:
    stub.queue(CANCEL, refusal_body(2119006, "该券码用户操作转赠中,暂不支持核销"))
    error = refused(douyin.cancel, CREDS, VerifiedCode("111122223333444", "72", "73"))
    assert error.code is ErrorCode.PLATFORM_REFUSED
    assert render(error.code, error.params) == (
        "抖音拒绝了本次操作:该券码用户操作转赠中,暂不支持核销"
    )
    stub.answers[CANCEL].clear()
    stub.queue(CANCEL, refusal_body(1265, "存在已撤销券"))  # cancelled already: done
    douyin.cancel(CREDS, VerifiedCode("111122223333444", "72", "73"))


def test_the_simulators_too_late_answer_has_the_published_shape() -> None:
    example = published("douyin_cancel_too_late.json")["example"]
    config = DouyinSimConfig(client_key="ck", client_secret="cs")
    with TestClient(create_app(config)) as sim:
        sim.post("/_sim/faults", json={"path": CANCEL, "kind": "biz_error", "biz_code": 3000001})
        token = sim.post(
            TOKEN,
            json={"client_key": "ck", "client_secret": "cs", "grant_type": "client_credential"},
        ).json()["data"]["access_token"]
        answer = sim.post(
            CANCEL, json={"certificate_id": "1", "verify_id": "2"}, headers={"access-token": token}
        ).json()
    assert shape_gaps(example, answer) == []
    assert answer["extra"]["sub_error_code"] == example["extra"]["sub_error_code"]


# ---- 6. a retried verify answered 1208 or 2 may be ours ----------------------------------------
@pytest.mark.parametrize("result", published("douyin_verify.json")["retried_answers"])
@pytest.mark.parametrize(("poi_of_record", "ours"), [(POI, True), ("7999", False)])
def test_a_retried_verify_answered_1208_or_2_asks_whose_verify_it_is(
    stub: Stub, douyin: DouyinClient, result: int, poi_of_record: str, ours: bool
) -> None:
    example = published("douyin_verify.json")["example"]
    msg = {1208: "券码已使用", 2: ""}[result]
    item = {**example["data"]["verify_results"][0], "result": result, "msg": msg, "verify_id": ""}
    busy = refusal_body(2100004, "系统繁忙,此时请开发者稍候再试")
    stub.queue(VERIFY, busy, {**example, "data": {**example["data"], "verify_results": [item]}})
    verify = {
        "verify_id": "7300000000000000001",
        "certificate_id": "72",
        "poi_id": int(poi_of_record),
    }
    certificate = {"code": "111122223333444", "certificate_id": "72", "verify": verify}
    stub.queue(GET, {"data": {"certificate": certificate, "error_code": 0}, "extra": {}})

    if ours:
        [done] = douyin.verify(CREDS, prepared_code(), 1, "r-1")
        assert (done.verify_id, done.certificate_id) == ("7300000000000000001", "72")
    else:
        error = refused(douyin.verify, CREDS, prepared_code(), 1, "r-1")
        assert error.code in (ErrorCode.VOUCHER_ALREADY_REDEEMED, ErrorCode.PLATFORM_REFUSED)
    assert len(stub.calls_to(GET)) == 1
    assert {c["body"] for c in stub.calls_to(VERIFY)} == {stub.calls_to(VERIFY)[0]["body"]}


def test_the_spi_signature_refusal_has_the_published_shape() -> None:
    example = published("douyin_spi.json")["signature_refused"]
    ours = signature_refused()
    assert shape_gaps(example, ours) == []
    assert ours["data"]["error_code"] != 0
    assert ours["data"]["description"] == example["data"]["description"]


# ---- 2. the webhook URL check (content is an object) ---------------------------------------------
def test_the_published_url_check_is_echoed(app: Any, clock: FakeClock, demo: Any) -> None:
    fixture = published("douyin_webhook_verify.json")
    raw = _dumps(fixture["example"])
    headers = {
        "X-Douyin-Signature": webhook_signature(DOUYIN_SECRET, raw),
        "content-type": "application/json",
    }
    with TestClient(app) as http:
        answer = http.post("/hooks/douyin/webhook", content=raw, headers=headers)
    assert (answer.status_code, answer.json()) == (200, fixture["reply"])
