"""The Douyin simulator: wire shapes, rules (tokens, one-prepare-one-verify, windows), pushes,
faults and hooks. Most tests go through TestClient; pushes reach a receiver served on loopback,
and one test drives the simulator itself over real HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from tests.helpers import wait_until
from voucherbridge.platforms.douyin.signing import (
    signed_spi_query,
    spi_sign,
    verify_spi,
    verify_webhook,
    webhook_signature,
)
from voucherbridge_sims.douyin.simulator import (
    DouyinSimConfig,
    ServerThread,
    config_from_env,
    create_app,
)

KEY, SECRET = "ck-test", "cs-test"
PREPARE = "/goodlife/v1/fulfilment/certificate/prepare/"
VERIFY = "/goodlife/v1/fulfilment/certificate/verify/"
CANCEL = "/goodlife/v1/fulfilment/certificate/cancel/"
GET = "/goodlife/v1/fulfilment/certificate/get/"
RECORDS = "/goodlife/v1/fulfilment/certificate/verify_record/query/"
LEDGER = "/goodlife/v1/settle/ledger/query/"


# ---- a stand-in for our service: receives SPI calls and webhooks, checks signatures ----------
class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_issue = 0
        self.issue_result = 1
        self.refund_result = 1

    def record(self, kind: str, request: Request, raw: bytes, signed: bool) -> dict[str, Any]:
        entry = {"kind": kind, "body": json.loads(raw), "signed": signed, "t": time.monotonic()}
        entry["headers"] = dict(request.headers)
        with self.lock:
            self.calls.append(entry)
        return entry

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["kind"] == kind]


def receiver_app(rx: Receiver) -> FastAPI:
    app = FastAPI()

    async def check_spi(request: Request) -> tuple[bytes, bool]:
        raw = await request.body()
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        ok = verify_spi(
            SECRET, query, raw, request.headers.get("x-life-sign"), request.query_params.get("sign")
        )
        return raw, ok

    @app.post("/hooks/douyin/spi/issue")
    async def issue(request: Request) -> Any:
        raw, ok = await check_spi(request)
        body = rx.record("issue", request, raw, ok)["body"]
        if not ok:
            return {"data": {"error_code": 100, "description": "验签失败"}}
        with rx.lock:
            failing = rx.fail_issue > 0
            rx.fail_issue -= 1
        if failing:
            return {"data": {"error_code": 500, "description": "busy"}}
        certs = [
            {"certificate_id": f"C{body['order_id']}-{i}", "code": f"D{body['order_id'][-8:]}{i}"}
            for i in range(body["count"])
        ]
        data = {"error_code": 0, "description": "success", "result": rx.issue_result}
        return {"data": {**data, "certificates": certs if rx.issue_result == 1 else []}}

    @app.post("/hooks/douyin/spi/refund-apply")
    async def refund_apply(request: Request) -> Any:
        raw, ok = await check_spi(request)
        rx.record("refund_apply", request, raw, ok)
        return {"data": {"error_code": 0, "description": "", "result": rx.refund_result}}

    @app.post("/hooks/douyin/spi/refund-notice")
    async def refund_notice(request: Request) -> Any:
        raw, ok = await check_spi(request)
        rx.record("refund_notice", request, raw, ok)
        return {"data": {"error_code": 0, "description": ""}}

    @app.post("/hooks/douyin/webhook")
    async def webhook(request: Request) -> Any:
        raw = await request.body()
        ok = verify_webhook(SECRET, raw, request.headers.get("x-douyin-signature"))
        rx.record("webhook", request, raw, ok)
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    rx = Receiver()
    with ServerThread(receiver_app(rx)) as server:
        yield rx, server.base_url


@pytest.fixture
def rx(receiver: tuple[Receiver, str]) -> Receiver:
    receiver[0].reset()
    return receiver[0]


def make_client(target: str | None = None, **overrides: Any) -> TestClient:
    config = DouyinSimConfig(client_key=KEY, client_secret=SECRET, target_base_url=target)
    for name, value in overrides.items():
        setattr(config, name, value)
    return TestClient(create_app(config))


@pytest.fixture
def sim(receiver: tuple[Receiver, str], rx: Receiver) -> TestClient:
    return make_client(receiver[1], time_scale=0.001)


def token(client: TestClient | httpx.Client, path: str = "/oauth/client_token/") -> str:
    body = {"client_key": KEY, "client_secret": SECRET, "grant_type": "client_credential"}
    answer = client.post(path, json=body).json()
    assert answer["data"]["error_code"] == 0, answer
    return str(answer["data"]["access_token"])


def auth(client: TestClient) -> dict[str, str]:
    return {"access-token": token(client)}


def order(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"poi_id": "7001", "sku_id": "sku1", "third_sku_id": "LST1", "count": 1, **fields}
    response = client.post("/_sim/douyin/orders", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def prepare(client: TestClient, h: dict[str, str], poi: str = "7001", **q: str) -> Any:
    return client.get(PREPARE, params={"poi_id": poi, **q}, headers=h).json()


def verify(client: TestClient, h: dict[str, str], **body: Any) -> Any:
    return client.post(VERIFY, json={"poi_id": "7001", **body}, headers=h).json()


def prepare_and_verify(client: TestClient, h: dict[str, str], code: str) -> Any:
    prepared = prepare(client, h, code=code)["data"]
    enc = [c["encrypted_code"] for c in prepared["certificates"]]
    return verify(client, h, verify_token=prepared["verify_token"], encrypted_codes=enc)


# ---- signing --------------------------------------------------------------------------------
def test_spi_signature_worked_example() -> None:
    body = b'{"order_id":"1","count":2}'
    query = {"timestamp": "1700000000000", "client_key": "ck", "sign": "x", "tag": ["b", "a"]}
    str1 = (
        'sec&client_key=ck&tag=a&tag=b&timestamp=1700000000000&http_body={"order_id":"1","count":2}'
    )
    expected = (hashlib.sha256(str1.encode()).hexdigest(), hashlib.md5(str1.encode()).hexdigest())
    assert spi_sign("sec", query, body) == expected
    no_body = "sec&client_key=ck&tag=a&tag=b&timestamp=1700000000000"
    assert spi_sign("sec", query, b"")[0] == hashlib.sha256(no_body.encode()).hexdigest()

    assert verify_spi("sec", query, body, expected[0].upper())
    assert verify_spi("sec", query, body, None, expected[1])  # legacy fallback
    assert not verify_spi("sec", query, body, "0" * 64, expected[1])  # no downgrade
    assert not verify_spi("sec", query, body + b" ", expected[0])
    assert not verify_spi("other", query, body, expected[0])
    assert not verify_spi("sec", query, body, None, None)

    params, headers = signed_spi_query("ck", "sec", body, 1700000000000)
    assert params["sign"] == hashlib.md5(str1.replace("&tag=a&tag=b", "").encode()).hexdigest()
    assert verify_spi("sec", params, body, headers["x-life-sign"], params["sign"])


def test_webhook_signature_worked_example() -> None:
    raw = b'{"event":"verify_webhook","content":"{}"}'
    expected = hashlib.sha1(b"sec" + raw).hexdigest()
    assert webhook_signature("sec", raw) == expected
    assert verify_webhook("sec", raw, expected)
    assert not verify_webhook("sec", raw + b"\n", expected)
    assert not verify_webhook("sec", raw, None)


# ---- tokens ---------------------------------------------------------------------------------
def test_token_errors_and_header_check() -> None:
    client = make_client()
    good = {"client_key": KEY, "client_secret": SECRET, "grant_type": "client_credential"}
    for body, code in [
        ({**good, "client_secret": "wrong"}, 10013),
        ({**good, "client_key": "nobody"}, 10003),
        ({**good, "grant_type": "password"}, 10002),
    ]:
        response = client.post("/oauth/client_token/", json=body)
        assert response.status_code == 200
        assert response.json()["data"]["error_code"] == code
        assert response.json()["message"] == "error"
    ok = client.post("/oauth/client_token/", json=good).json()
    assert ok["message"] == "success"
    assert ok["data"]["expires_in"] == 7200
    assert ok["data"]["access_token"].startswith("clt.")
    poi = client.get("/goodlife/v1/shop/poi/query/", params={"poi_id": "1"})
    assert poi.status_code == 200
    assert poi.json()["data"]["error_code"] == 2190002
    assert poi.json()["extra"]["error_code"] == 2190002
    with_token = {"access-token": ok["data"]["access_token"]}
    answer = client.get("/goodlife/v1/shop/poi/query/", headers=with_token).json()
    assert answer["data"]["error_code"] == 0
    assert answer["extra"]["error_code"] == 0
    assert set(answer["extra"]) >= {"logid", "now", "sub_error_code", "sub_description"}


def test_token_expiry_rotation_and_stable_token() -> None:
    client = make_client()
    stable = token(client, "/oauth/stable_client_token/")
    assert token(client, "/oauth/stable_client_token/") == stable
    t1, t2, t3 = token(client), token(client), token(client)
    assert len({stable, t1, t2, t3}) == 4

    def code(t: str) -> int:
        answer = client.get("/goodlife/v1/shop/poi/query/", headers={"access-token": t}).json()
        return int(answer["data"]["error_code"])

    assert code(t1) == 2190008  # older than the latest two
    assert code(t2) == 0
    assert code(t3) == 0
    client.post("/_sim/clock", json={"advance_s": 301})
    assert code(t2) == 2190008
    assert code(t3) == 0
    assert token(client, "/oauth/stable_client_token/") == t3
    client.post("/_sim/clock", json={"advance_s": 7200})
    assert code(t3) == 2190008
    assert code(token(client, "/oauth/stable_client_token/")) == 0


# ---- platform codes ---------------------------------------------------------------------------
def test_prepare_verify_cancel_one_prepare_one_verify(sim: TestClient) -> None:
    h = auth(sim)
    bought = order(sim, count=2, pay_amount=6000, original_amount=10000)
    code = bought["codes"][0]["code"]
    assert len(code) == 15
    assert code.isdigit()

    prepared = prepare(sim, h, code=code)["data"]
    assert prepared["order_id"] == bought["order_id"]
    [cert] = prepared["certificates"]
    assert cert["amount"]["original_amount"] == 10000
    assert cert["amount"]["pay_amount"] == 6000
    assert cert["sku"] == {**cert["sku"], "sku_id": "sku1", "third_sku_id": "LST1"}
    assert cert["not_available_poi_list"] == []
    assert cert["expire_time"] > cert["start_time"]

    body = {"verify_token": prepared["verify_token"], "encrypted_codes": [cert["encrypted_code"]]}
    first = verify(sim, h, **body)
    [result] = first["data"]["verify_results"]
    assert result["result"] == 0
    assert result["origin_code"] == code
    assert result["verify_id"]
    replay = verify(sim, h, **body)
    assert replay["data"]["verify_results"] == first["data"]["verify_results"]
    assert prepare(sim, h, code=code)["data"]["error_code"] == 1208

    got = sim.get(GET, params={"encrypted_code": cert["encrypted_code"]}, headers=h).json()
    assert got["data"]["certificate"]["status"] == 2
    assert got["data"]["certificate"]["verify"]["verify_id"] == result["verify_id"]
    assert got["data"]["certificate"]["verify"]["can_cancel"] is True

    ids = {"certificate_id": result["certificate_id"], "verify_id": result["verify_id"]}
    cancelled = sim.post(CANCEL, json=ids, headers=h).json()
    assert cancelled["data"]["error_code"] == 0
    assert cancelled["extra"]["error_code"] == 0
    assert (
        sim.post(CANCEL, json=ids, headers=h).json()["data"]["error_code"] == 1265
    )  # 存在已撤销券
    again = prepare(sim, h, code=code)["data"]
    assert again["error_code"] == 0
    assert again["verify_token"] != prepared["verify_token"]

    actions = [m["content"]["action"] for m in sim.get("/_sim/douyin/webhooks").json()]
    assert actions == ["verify", "verify_cancel"]


def test_cancel_refused_after_one_hour(sim: TestClient) -> None:
    h = auth(sim)
    code = order(sim)["codes"][0]["code"]
    [result] = prepare_and_verify(sim, h, code)["data"]["verify_results"]
    sim.post("/_sim/clock", json={"advance_s": 61 * 60})  # the 2 h token is still valid
    answer = sim.post(
        CANCEL,
        json={"certificate_id": result["certificate_id"], "verify_id": result["verify_id"]},
        headers=h,
    ).json()
    assert answer["data"]["error_code"] == 3000001
    assert answer["extra"]["sub_error_code"] == 2034000910
    assert answer["data"]["description"] == "已超过可撤销时限,无法撤销核销"


def test_wrong_store_expired_and_unknown(sim: TestClient) -> None:
    h = auth(sim)
    code = order(sim)["codes"][0]["code"]
    elsewhere = prepare(sim, h, poi="7002", code=code)["data"]
    assert "7002" in elsewhere["certificates"][0]["not_available_poi_list"]
    body = {
        "poi_id": "7002",
        "verify_token": elsewhere["verify_token"],
        "encrypted_codes": [elsewhere["certificates"][0]["encrypted_code"]],
    }
    assert verify(sim, h, **body)["data"]["verify_results"][0]["result"] == 3000002

    short = order(sim, valid_days=1)["codes"][0]["code"]
    sim.post("/_sim/clock", json={"advance_s": 2 * 86400})
    h = auth(sim)
    stale = prepare(sim, h, code=short)["data"]
    assert stale["certificates"][0]["status"] == 4  # still listed until cleanup
    [late] = prepare_and_verify(sim, h, short)["data"]["verify_results"]
    assert (late["result"], late["msg"]) == (3000001, "券码已过期")  # [M] no published code

    assert prepare(sim, h, code="999999999999")["data"]["error_code"] == 1212
    stale_token = verify(sim, h, verify_token="nope", encrypted_codes=["x"])
    assert stale_token["data"]["error_code"] == 3000001
    assert stale_token["extra"]["sub_description"] == "verify_token无效或已过期,请重新验券准备"
    assert sim.get(PREPARE, params={"poi_id": "7001"}, headers=h).json()["data"]["error_code"] == (
        2100005  # 参数不合法
    )


def test_short_link_redirect_and_multi_code_verify(sim: TestClient) -> None:
    h = auth(sim)
    bought = order(sim, count=3)
    link = bought["codes"][1]["short_link"]
    response = sim.get(urlsplit(link).path, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path.startswith("/share/commerce/coupon/")
    object_id = parse_qs(location.query)["object_id"][0]
    assert object_id == bought["codes"][1]["object_id"]
    one = prepare(sim, h, encrypted_data=object_id)["data"]
    assert [c["encrypted_code"] for c in one["certificates"]] == [
        bought["codes"][1]["encrypted_code"]
    ]

    everything = prepare(sim, h, encrypted_data=bought["order_object_id"])["data"]
    enc = [c["encrypted_code"] for c in everything["certificates"]]
    assert len(enc) == 3
    results = verify(sim, h, verify_token=everything["verify_token"], encrypted_codes=enc)
    results = results["data"]["verify_results"]
    assert [r["result"] for r in results] == [0, 0, 0]
    assert {r["origin_code"] for r in results} == {c["code"] for c in bought["codes"]}
    assert len({r["verify_id"] for r in results}) == 3
    assert sim.get("/s/unknown1", follow_redirects=False).status_code == 404


# ---- merchant codes -------------------------------------------------------------------------
def test_merchant_issue_push_and_idempotent_use_sync(sim: TestClient, rx: Receiver) -> None:
    bought = order(sim, code_type="merchant", count=2, pay_amount=5000, original_amount=8000)
    assert bought["status"] == "issued"
    assert not bought["retrying"]
    [call] = rx.of("issue")
    assert call["signed"] is True
    assert call["headers"]["x-life-clientkey"] == KEY
    sent = call["body"]
    assert sent["order_id"] == bought["order_id"]
    assert sent["count"] == 2
    assert sent["sku"]["third_sku_id"] == "LST1"
    assert sent["amount"]["pay_amount"] == 10000
    codes = [c["code"] for c in bought["certificates"]]
    assert codes == [f"D{bought['order_id'][-8:]}0", f"D{bought['order_id'][-8:]}1"]

    h = auth(sim)
    body = {"verify_token": "redemption-1", "order_id": bought["order_id"], "codes": codes[:1]}
    answers = [verify(sim, h, **body)["data"]["verify_results"] for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    [result] = answers[0]
    assert result["result"] == 0
    # Douyin's own certificate id, not the one in our issue answer
    assert result["certificate_id"].isdigit()
    state = sim.get("/_sim/state").json()
    assert [v["code"] for v in state["verifications"]] == codes[:1]  # one use, however many tries
    records = sim.get(RECORDS, params={"cursor": "0", "size": 20}, headers=h).json()["data"]
    assert records["total"] == 1
    assert records["records"][0]["verify_type"] == 2

    other = verify(sim, h, **{**body, "verify_token": "redemption-2"})
    assert other["data"]["verify_results"][0]["result"] == 1208
    ids = {"certificate_id": result["certificate_id"], "verify_id": result["verify_id"]}
    assert sim.post(CANCEL, json=ids, headers=h).json()["data"]["error_code"] == 0
    third = verify(sim, h, **{**body, "verify_token": "redemption-3"})
    assert third["data"]["verify_results"][0]["result"] == 0
    unknown = verify(sim, h, **{**body, "verify_token": "r4", "order_id": "1"})
    assert unknown["data"]["error_code"] == 3100101  # 订单不存在


def test_issue_retry_schedule(sim: TestClient, rx: Receiver) -> None:
    rx.fail_issue = 2
    bought = order(sim, code_type="merchant")
    assert bought["status"] == "issuing"
    assert bought["retrying"] is True

    def settled() -> dict[str, Any] | None:
        current = sim.get(f"/_sim/douyin/orders/{bought['order_id']}").json()
        return dict(current) if current["status"] != "issuing" else None

    current = wait_until(settled, timeout_s=5, interval_s=0.01)
    assert current["status"] == "issued"
    assert len(current["certificates"]) == 1
    calls = rx.of("issue")
    assert len(calls) == 3
    assert all(c["signed"] for c in calls)
    gaps = [b["t"] - a["t"] for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] >= 0.010
    assert gaps[1] >= 0.030
    pushes = sim.get("/_sim/pushes", params={"name": "issue"}).json()
    assert [p["attempt"] for p in pushes] == [1, 2, 3]
    assert [p["ok"] for p in pushes] == [False, False, True]


def test_retry_wait_is_released_by_advancing_the_clock(receiver: tuple[Receiver, str]) -> None:
    rx = receiver[0]
    rx.reset()
    rx.fail_issue = 1
    client = make_client(receiver[1])  # time_scale 1: the 10 s wait would be real
    bought = order(client, code_type="merchant", wait=True)
    assert bought["status"] == "issuing"
    client.post("/_sim/clock", json={"advance_s": 10})
    wait_until(lambda: len(rx.of("issue")) >= 2, timeout_s=3, interval_s=0.01)
    assert len(rx.of("issue")) == 2
    client.post("/_sim/reset")


def test_async_issue_then_create_callback(sim: TestClient, rx: Receiver) -> None:
    rx.issue_result = 0
    bought = order(sim, code_type="merchant", count=1)
    assert bought["status"] == "pending"
    h = auth(sim)
    callback = {"order_id": bought["order_id"], "result": 1, "codes": [{"code": "DLATE1"}]}
    answer = sim.post("/goodlife/v1/fulfilment/create/callback/", json=callback, headers=h)
    assert answer.json()["data"]["error_code"] == 0
    assert sim.get(f"/_sim/douyin/orders/{bought['order_id']}").json()["status"] == "issued"
    body = {"verify_token": "r1", "order_id": bought["order_id"], "codes": ["DLATE1"]}
    assert verify(sim, h, **body)["data"]["verify_results"][0]["result"] == 0


# ---- refunds and webhooks --------------------------------------------------------------------
def test_platform_refund_webhook_flush_with_duplicates(sim: TestClient, rx: Receiver) -> None:
    h = auth(sim)
    bought = order(sim, count=2)
    first, second = (c["code"] for c in bought["codes"])
    refunded = sim.post(
        "/_sim/douyin/refunds", json={"order_id": bought["order_id"], "codes": [first]}
    )
    assert refunded.json()["refunded"] == [first]
    refused = prepare(sim, h, code=first)
    assert (refused["data"]["error_code"], refused["extra"]["sub_description"]) == (
        3000001,
        "券码已退款",
    )
    assert prepare(sim, h, code=second)["data"]["error_code"] == 0

    flushed = sim.post("/_sim/douyin/webhooks/flush", json={"duplicate": True}).json()
    assert flushed["delivered"] == 1
    assert flushed["still_queued"] == 0
    hooks = rx.of("webhook")
    assert len(hooks) == 2
    assert all(hook["signed"] for hook in hooks)
    assert hooks[0]["headers"]["msg-id"] == hooks[1]["headers"]["msg-id"]
    body = hooks[0]["body"]
    assert body["event"] == "life_trade_certificate_notify"
    assert body["client_key"] == KEY
    content = json.loads(body["content"])  # content is a JSON string
    assert content["action"] == "refund_success"
    assert content["certificate"]["code"] == first


def test_merchant_refund_calls_apply_then_notice(sim: TestClient, rx: Receiver) -> None:
    bought = order(sim, code_type="merchant", count=2)
    record = sim.post("/_sim/douyin/refunds", json={"order_id": bought["order_id"]}).json()
    assert record["status"] == "agreed"
    [apply_call], [notice] = rx.of("refund_apply"), rx.of("refund_notice")
    assert apply_call["signed"]
    assert notice["signed"]
    assert apply_call["body"]["refund_amount"] == 12000
    assert notice["body"]["refund_status"] == 1
    assert [c["refund_status"] for c in notice["body"]["certificates"]] == [1, 1]
    state = sim.get(f"/_sim/douyin/orders/{bought['order_id']}").json()
    assert state["status"] == "refunded"


# ---- faults, latency, statements, POIs ---------------------------------------------------------
def test_http_503_fault_counts_down(sim: TestClient) -> None:
    h = auth(sim)
    code = order(sim)["codes"][0]["code"]
    sim.post("/_sim/faults", json={"path": PREPARE, "count": 2, "kind": "http_503"})
    statuses = [
        sim.get(PREPARE, params={"code": code, "poi_id": "7001"}, headers=h).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    recorded = sim.get("/_sim/requests", params={"path": PREPARE}).json()
    assert [r["fault"] for r in recorded] == ["http_503", "http_503", None]
    assert recorded[2]["query"]["code"] == code
    assert recorded[2]["response"]["status"] == 200

    sim.post("/_sim/faults", json={"path": "*", "count": 1, "kind": "biz_error"})
    busy = sim.get(PREPARE, params={"code": code, "poi_id": "7001"}, headers=h)
    assert busy.status_code == 200
    assert busy.json()["data"]["error_code"] == 2100004  # 系统繁忙
    sim.post("/_sim/faults", json={"path": "*", "count": None, "kind": "http_503"})
    assert sim.get(PREPARE, params={"code": code}, headers=h).status_code == 503
    sim.delete("/_sim/faults")
    assert sim.get(PREPARE, params={"code": code, "poi_id": "7001"}, headers=h).status_code == 200


def test_after_commit_503_applies_the_change(sim: TestClient) -> None:
    h = auth(sim)
    code = order(sim)["codes"][0]["code"]
    prepared = prepare(sim, h, code=code)["data"]
    body = {
        "poi_id": "7001",
        "verify_token": prepared["verify_token"],
        "encrypted_codes": [prepared["certificates"][0]["encrypted_code"]],
    }
    sim.post("/_sim/faults", json={"path": VERIFY, "count": 1, "kind": "after_commit_503"})
    assert sim.post(VERIFY, json=body, headers=h).status_code == 503
    assert prepare(sim, h, code=code)["data"]["error_code"] == 1208  # it was verified
    retry = sim.post(VERIFY, json=body, headers=h).json()  # same verify_token: first result
    assert retry["data"]["verify_results"][0]["result"] == 0


def test_latency_hook(sim: TestClient) -> None:
    sim.post("/_sim/latency", json={"path": "/oauth/*", "ms": 150, "count": 1})
    started = time.monotonic()
    token(sim)
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    token(sim)
    assert time.monotonic() - started < 0.15


def test_statement_hook_and_verify_record_paging(sim: TestClient) -> None:
    sim.post("/_sim/clock", json={"now": "2025-05-25T04:00:00Z"})  # 12:00 in Shanghai
    h = auth(sim)
    bought = order(sim, count=3, pay_amount=6000)
    results = [
        prepare_and_verify(sim, h, c["code"])["data"]["verify_results"][0] for c in bought["codes"]
    ]
    dropped, changed, kept = results
    built = sim.post(
        "/_sim/statement",
        json={
            "date": "2025-05-25",
            "drop": [dropped["verify_id"]],
            "amount_delta_fen": {changed["origin_code"]: -100},
            "extra": 1,
        },
    ).json()
    assert built["count"] == 3

    page = sim.get(LEDGER, params={"bill_date": "2025-05-25", "cursor": "0", "size": 2}, headers=h)
    data = page.json()["data"]
    assert data["has_more"] is True
    assert data["cursor"] == "2"
    lines = data["ledger_records"]
    rest = sim.get(LEDGER, params={"bill_date": "20250525", "cursor": "2", "size": 2}, headers=h)
    lines += rest.json()["data"]["ledger_records"]
    assert rest.json()["data"]["has_more"] is False
    by_verify = {line["verify_id"]: line for line in lines}
    assert dropped["verify_id"] not in by_verify
    assert by_verify[changed["verify_id"]]["amount"]["pay"] == 5900
    assert by_verify[kept["verify_id"]]["amount"]["pay"] == 6000
    assert by_verify[kept["verify_id"]]["certificate"]["code"] == kept["origin_code"]
    assert len(lines) == 3
    assert sum(1 for line in lines if line["id"].startswith("Lextra")) == 1
    other_day = sim.get(LEDGER, params={"bill_date": "2025-05-24"}, headers=h).json()["data"]
    assert other_day["ledger_records"] == []

    seen, cursor = [], "0"
    while True:
        data = sim.get(RECORDS, params={"cursor": cursor, "size": 1}, headers=h).json()["data"]
        seen += [r["verify_id"] for r in data["records"]]
        cursor = data["cursor"]
        if not data["has_more"]:
            break
    assert seen == [r["verify_id"] for r in results]
    bad = sim.get(RECORDS, params={"cursor": "0", "size": 21}, headers=h).json()
    assert bad["data"]["error_code"] == 2100005


def test_poi_query_hook_and_reset(sim: TestClient) -> None:
    h = auth(sim)
    sim.post("/_sim/douyin/pois", json={"poi_id": "8001", "poi_name": "皇岗店"})
    found = sim.get("/goodlife/v1/shop/poi/query/", params={"poi_id": "8001"}, headers=h).json()
    assert found["data"]["pois"][0]["poi"] == {
        **found["data"]["pois"][0]["poi"],
        "poi_id": "8001",
        "poi_name": "皇岗店",
    }
    missing = sim.get("/goodlife/v1/shop/poi/query/", params={"poi_id": "9"}, headers=h).json()
    assert missing["data"]["pois"] == []
    assert missing["data"]["error_code"] == 0
    sim.post("/_sim/reset")
    state = sim.get("/_sim/state").json()
    assert state["pois"] == []
    assert state["tokens"] == []
    assert state["orders"] == []


def test_config_from_env() -> None:
    config = config_from_env(
        {"SIM_TARGET_BASE_URL": "http://127.0.0.1:8000", "SIM_TIME_SCALE": "0.5"}
    )
    assert config.client_key == "vb-demo-key"
    assert config.client_secret == "vb-demo-secret"
    assert config.target_base_url == "http://127.0.0.1:8000"
    assert config.time_scale == 0.5


# ---- real HTTP ------------------------------------------------------------------------------
def test_serves_real_http_with_redirects_and_dropped_connections() -> None:
    config = DouyinSimConfig(client_key=KEY, client_secret=SECRET)
    with ServerThread(create_app(config)) as server, httpx.Client(base_url=server.base_url) as http:
        h = {"access-token": token(http)}
        bought = http.post("/_sim/douyin/orders", json={"poi_id": "7001", "count": 1}).json()
        landed = http.get(bought["codes"][0]["short_link"], follow_redirects=True)
        assert landed.status_code == 200
        assert landed.url.path.startswith("/share/commerce/coupon/")
        object_id = landed.url.params["object_id"]
        prepared = http.get(
            PREPARE, params={"encrypted_data": object_id, "poi_id": "7001"}, headers=h
        ).json()
        assert (
            prepared["data"]["certificates"][0]["encrypted_code"]
            == (bought["codes"][0]["encrypted_code"])
        )

        http.post("/_sim/faults", json={"path": PREPARE, "count": 1, "kind": "reset"})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(
                PREPARE, params={"code": bought["codes"][0]["code"], "poi_id": "7001"}, headers=h
            )
        http.post(
            "/_sim/faults", json={"path": PREPARE, "count": 1, "kind": "timeout", "timeout_s": 1.5}
        )
        with pytest.raises(httpx.ReadTimeout):
            http.get(PREPARE, params={"code": "1"}, headers=h, timeout=0.3)
        ok = http.get(
            PREPARE, params={"code": bought["codes"][0]["code"], "poi_id": "7001"}, headers=h
        )
        assert ok.json()["data"]["error_code"] == 0
