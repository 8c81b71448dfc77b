"""The micro-mall simulator: signed envelope, open API rules (idempotent uses, voided codes, the
reversal window, statements), pushes with the mall's retry schedule, faults and hooks. Most tests
go through TestClient; pushes reach a receiver served on loopback, and one test drives the
simulator over real HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from tests.helpers import wait_until
from voucherbridge.platforms.weimall.signing import (
    SignatureError,
    build_envelope,
    open_envelope,
    sign,
)
from voucherbridge_sims.weimall.simulator import (
    ServerThread,
    WeimallSimConfig,
    config_from_env,
    create_app,
)

STORE, SECRET = "wm-test-store", "wm-test-secret"
REDEEMED = "/open/v1/vouchers/redeemed"
REVERSED = "/open/v1/vouchers/reversed"
SETTLEMENTS = "/open/v1/settlements/query"


def secret_for(client_id: str) -> str | None:
    return SECRET if client_id == STORE else None


# ---- a stand-in for our service's /hooks/weimall ------------------------------------------------
class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_next = 0
        self.issued: dict[str, list[str]] = {}
        self.used: set[str] = set()

    def of(self, type_: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.calls if c["type"] == type_]


def receiver_app(rx: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/hooks/weimall")
    async def hook(request: Request) -> Any:
        raw = await request.body()
        envelope = json.loads(raw)
        try:
            _, type_, payload, msg_id = open_envelope(raw, secret_for, int(time.time()))
        except SignatureError as exc:
            with rx.lock:
                rx.calls.append({"type": envelope.get("type"), "refused": exc.reason})
            return {"code": 40001, "msg": exc.reason, "data": {}}
        with rx.lock:
            rx.calls.append(
                {"type": type_, "payload": payload, "msg_id": msg_id, "envelope": envelope}
            )
            if rx.fail_next > 0:
                rx.fail_next -= 1
                return {"code": 50000, "msg": "busy", "data": {}}
            if type_ == "VOUCHER_PURCHASED":
                order_no = payload["order_no"]
                codes = rx.issued.setdefault(
                    order_no,
                    [f"J{order_no[-6:]}{i}" for i in range(payload["quantity"])],
                )
                return {"code": 0, "msg": "success", "data": {"codes": codes}}
            if type_ == "VOUCHER_REFUNDED":
                codes = payload.get("codes") or rx.issued.get(payload["order_no"], [])
                voided = [c for c in codes if c not in rx.used]
                refused = [{"code": c, "reason": "already_redeemed"} for c in codes if c in rx.used]
                return {"code": 0, "msg": "success", "data": {"voided": voided, "refused": refused}}
            return {"code": 0, "msg": "success", "data": {}}

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


def make_config(target: str | None = None, **overrides: Any) -> WeimallSimConfig:
    config = WeimallSimConfig(store_id=STORE, store_secret=SECRET, target_base_url=target)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


@pytest.fixture
def sim(receiver: tuple[Receiver, str], rx: Receiver) -> Iterator[TestClient]:
    with TestClient(create_app(make_config(receiver[1], time_scale=0.001))) as client:
        yield client


def sim_now(client: TestClient) -> int:
    return int(client.get("/_sim/clock").json()["now_ms"] // 1000)


def call(client: TestClient, path: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    envelope = build_envelope(STORE, SECRET, "CALL", payload, now_s=sim_now(client), **kw)
    response = client.post(path, json=envelope)
    assert response.status_code == 200, response.text
    return dict(response.json())


def use(client: TestClient, code: str, rid: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "code": code,
        "redemption_id": rid,
        "store_id": STORE,
        "order_no": "WM1",
        "discount_fen": 10000,
        "redeemed_at": "2025-05-25T04:00:00+00:00",
        **extra,
    }
    return call(client, REDEEMED, payload)


def seed(client: TestClient, *codes: str) -> None:
    response = client.post("/_sim/weimall/codes", json={"codes": list(codes)})
    assert response.status_code == 200, response.text


# ---- signing ------------------------------------------------------------------------------------
def test_sign_and_open_round_trip() -> None:
    envelope = build_envelope(
        STORE, SECRET, "PING", {"名": "火锅 & co"}, now_s=1_700_000_000, msg_id="m1"
    )
    signed = {"名": "火锅 & co", "type": "PING", "msg_id": "m1", "timestamp": 1_700_000_000}
    assert envelope["msg"] == quote(
        json.dumps(signed, ensure_ascii=False).replace(", ", ",").replace(": ", ":")
    )
    expected = hashlib.md5((STORE + envelope["msg"] + SECRET).encode()).hexdigest()
    assert envelope["sign"] == expected == sign(STORE, envelope["msg"], SECRET)
    assert set(envelope) == {
        "client_id", "msg_id", "type", "version", "test", "send_count", "msg", "sign"
    }  # fmt: skip
    raw = json.dumps(envelope).encode()
    client_id, type_, payload, msg_id = open_envelope(raw, secret_for, 1_700_000_100)
    assert (client_id, type_, msg_id) == (STORE, "PING", envelope["msg_id"])
    assert payload == signed
    upper = json.dumps({**envelope, "sign": envelope["sign"].upper()}).encode()
    assert open_envelope(upper, secret_for, 1_700_000_000)[0] == STORE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sign": "0" * 32}, "invalid sign"),
        ({"sign": "签名"}, "invalid sign"),
        ({"client_id": "someone-else"}, "unknown client"),
        ({"msg": None}, "malformed envelope: msg missing"),
    ],
)
def test_tampered_messages_refused(change: dict[str, Any], reason: str) -> None:
    envelope = build_envelope(STORE, SECRET, "PING", {"a": 1}, now_s=1_700_000_000)
    with pytest.raises(SignatureError) as caught:
        open_envelope(json.dumps({**envelope, **change}).encode(), secret_for, 1_700_000_000)
    assert caught.value.reason == reason


def test_tampered_msg_and_stale_timestamp_refused() -> None:
    envelope = build_envelope(STORE, SECRET, "PING", {"amount_fen": 100}, now_s=1_700_000_000)
    forged = {**envelope, "msg": envelope["msg"].replace("100", "900")}
    with pytest.raises(SignatureError, match="invalid sign"):
        open_envelope(json.dumps(forged).encode(), secret_for, 1_700_000_000)
    raw = json.dumps(envelope).encode()
    assert open_envelope(raw, secret_for, 1_700_000_300)[2]["amount_fen"] == 100
    for now in (1_700_000_301, 1_699_999_699):
        with pytest.raises(SignatureError, match="timestamp out of tolerance"):
            open_envelope(raw, secret_for, now)
    with pytest.raises(SignatureError, match="not JSON"):
        open_envelope(b"\xff{", secret_for, 1_700_000_000)


# ---- open API -----------------------------------------------------------------------------------
def test_ping_bad_sign_and_stale_call(sim: TestClient) -> None:
    assert call(sim, "/open/v1/ping", {}) == {
        "code": 0,
        "msg": "success",
        "data": {"store_name": "右姑娘火锅(微商城)"},
    }
    wrong = build_envelope(STORE, "nope", "PING", {}, now_s=sim_now(sim))
    assert sim.post("/open/v1/ping", json=wrong).json()["code"] == 40001
    stale = build_envelope(STORE, SECRET, "PING", {}, now_s=sim_now(sim) - 400)
    answer = sim.post("/open/v1/ping", json=stale).json()
    assert (answer["code"], answer["msg"]) == (40001, "timestamp out of tolerance")


def test_redeemed_is_idempotent_on_redemption_id(sim: TestClient) -> None:
    seed(sim, "JAAA1", "JAAA2")
    assert use(sim, "JAAA1", "r-1")["code"] == 0
    assert use(sim, "JAAA1", "r-1")["code"] == 0
    [code] = [c for c in sim.get("/_sim/weimall/codes").json() if c["code"] == "JAAA1"]
    assert (code["status"], code["use_count"], code["uses"]) == ("used", 1, ["r-1"])
    assert use(sim, "JAAA1", "r-2")["code"] == 40901  # used by another redemption
    assert use(sim, "JNOPE", "r-3")["code"] == 40401
    assert use(sim, "JAAA2", "r-4", discount_fen=12.5)["code"] == 40000  # money is integer fen
    state = sim.get("/_sim/state").json()
    assert [r["redemption_id"] for r in state["redemptions"]] == ["r-1"]


def test_same_msg_id_gets_the_first_answer(sim: TestClient) -> None:
    seed(sim, "JDUP1", "JDUP2")
    payload = {"code": "JDUP1", "redemption_id": "r-1", "discount_fen": 0}
    payload["redeemed_at"] = "2025-05-25T04:00:00+00:00"
    msg_id = uuid.uuid4().hex
    first = call(sim, REDEEMED, payload, msg_id=msg_id)
    assert first["code"] == 0
    other = {**payload, "code": "JDUP2", "redemption_id": "r-2"}
    assert call(sim, REDEEMED, other, msg_id=msg_id) == first  # a duplicate: not acted on
    codes = {c["code"]: c["status"] for c in sim.get("/_sim/weimall/codes").json()}
    assert codes == {"JDUP1": "used", "JDUP2": "unused"}
    sim.post("/_sim/reset")
    assert call(sim, REDEEMED, payload, msg_id=msg_id)["code"] == 40401  # reset forgets msg_ids


def test_reversal_idempotent_and_refused_after_window(sim: TestClient) -> None:
    seed(sim, "JREV1", "JREV2")
    assert use(sim, "JREV1", "r-1")["code"] == 0
    body = {"code": "JREV1", "redemption_id": "r-1", "reversed_at": "x", "reason": "反结账"}
    assert call(sim, REVERSED, body)["code"] == 0
    assert call(sim, REVERSED, body)["code"] == 0
    assert call(sim, REVERSED, {**body, "redemption_id": "r-unknown"})["code"] == 40401
    codes = {c["code"]: c for c in sim.get("/_sim/weimall/codes").json()}
    assert codes["JREV1"]["status"] == "unused"  # usable again after the reversal

    assert use(sim, "JREV2", "r-2")["code"] == 0
    sim.post("/_sim/clock", json={"advance_s": 3700})
    late = call(sim, REVERSED, {**body, "code": "JREV2", "redemption_id": "r-2"})
    assert late["code"] == 42201
    # A caller on the real clock still gets through the replay check after the advance.
    real = build_envelope(STORE, SECRET, "CALL", body, now_s=int(time.time()))
    assert sim.post(REVERSED, json=real).json()["code"] == 0


def test_settlements_by_china_day_and_statement_override(sim: TestClient) -> None:
    seed(sim, "JS1", "JS2", "JS3")
    # 2025-05-25 23:30 UTC is already 26 May in China.
    use(sim, "JS1", "r-1", redeemed_at="2025-05-25T01:00:00+00:00", discount_fen=10000)
    use(sim, "JS2", "r-2", redeemed_at="2025-05-25T15:59:00Z", discount_fen=3800)
    use(sim, "JS3", "r-3", redeemed_at="2025-05-25T23:30:00+00:00", discount_fen=1990)
    rows = call(sim, SETTLEMENTS, {"date": "2025-05-25"})["data"]["rows"]
    assert [(r["redemption_id"], r["amount_fen"]) for r in rows] == [("r-1", 10000), ("r-2", 3800)]
    assert rows[0] == {
        "code": "JS1",
        "redemption_id": "r-1",
        "store_id": STORE,
        "amount_fen": 10000,
        "redeemed_at": "2025-05-25T01:00:00+00:00",
        "status": "redeemed",
    }
    built = sim.post(
        "/_sim/statement",
        json={"date": "2025-05-25", "drop": ["r-2"], "amount_delta_fen": {"r-1": -100}, "extra": 1},
    )
    assert built.status_code == 200, built.text
    served = call(sim, SETTLEMENTS, {"date": "2025-05-25"})["data"]["rows"]
    assert [r["amount_fen"] for r in served] == [9900, 1000]
    assert served[1]["redemption_id"].startswith("sim-extra-")
    assert "r-2" not in {r["redemption_id"] for r in served}
    next_day = call(sim, SETTLEMENTS, {"date": "2025-05-26"})["data"]["rows"]
    assert [r["redemption_id"] for r in next_day] == ["r-3"]
    assert call(sim, SETTLEMENTS, {"date": "May"})["code"] == 40000


# ---- pushes -------------------------------------------------------------------------------------
def purchase(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"store_id": STORE, "coupon_id": "LST1", "quantity": 2, "openid": "o-1", **fields}
    response = client.post("/_sim/weimall/purchases", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_purchase_push_delivered_and_codes_stored(sim: TestClient, rx: Receiver) -> None:
    order = purchase(sim, title="60代100元票券抢购", unit_price_fen=6000)
    assert order["status"] == "issued"
    assert order["retrying"] is False
    [pushed] = rx.of("VOUCHER_PURCHASED")
    payload = pushed["payload"]
    assert payload["order_no"] == order["order_no"]
    assert (payload["coupon_id"], payload["quantity"], payload["unit_price_fen"]) == (
        "LST1",
        2,
        6000,
    )
    assert payload["buyer"]["openid"] == "o-1"
    assert "****" in payload["buyer"]["mobile_masked"]
    assert payload["paid_at"].endswith("+00:00")
    assert isinstance(payload["timestamp"], int)
    assert order["codes"] == rx.issued[order["order_no"]]
    listed = sim.get("/_sim/weimall/codes").json()
    assert [(c["code"], c["status"]) for c in listed] == [(c, "unused") for c in order["codes"]]

    replay = sim.post(
        "/_sim/weimall/purchases", json={"replay": True, "order_no": order["order_no"]}
    ).json()
    assert replay["codes"] == order["codes"]
    assert replay["replays"] == [{"codes": order["codes"], "same": True}]
    first, second = rx.of("VOUCHER_PURCHASED")
    assert first["msg_id"] != second["msg_id"]
    assert len(sim.get("/_sim/weimall/codes").json()) == 2


def test_receiver_failing_twice_then_succeeding(sim: TestClient, rx: Receiver) -> None:
    rx.fail_next = 2
    order = purchase(sim)
    assert order["status"] == "pending"
    assert order["retrying"] is True
    order_no = order["order_no"]

    def issued() -> bool:
        state = sim.get("/_sim/state").json()
        return bool(state["orders"][0]["status"] == "issued")

    wait_until(issued, timeout_s=10, interval_s=0.02, message="condition not reached")
    state = sim.get("/_sim/state").json()
    [stored] = state["orders"]
    assert stored["order_no"] == order_no
    assert [a["send_count"] for a in stored["attempts"]] == [1, 2, 3]
    assert [a["ok"] for a in stored["attempts"]] == [False, False, True]
    pushes = sim.get("/_sim/weimall/pushes").json()
    assert len(pushes) == 3
    assert len({p["msg_id"] for p in pushes}) == 1  # a resend is the same message
    assert stored["codes"] == rx.issued[order_no]
    assert len(state["codes"]) == 2


def test_push_gives_up_after_five_resends(receiver: tuple[Receiver, str], rx: Receiver) -> None:
    rx.fail_next = 100
    with TestClient(create_app(make_config(receiver[1], time_scale=0.0001))) as client:
        order = purchase(client, quantity=1)

        def failed() -> bool:
            return bool(client.get("/_sim/state").json()["orders"][0]["status"] == "failed")

        wait_until(failed, timeout_s=10, interval_s=0.02, message="condition not reached")
        assert len(client.get("/_sim/weimall/pushes").json()) == 6
        assert order["codes"] == []


def test_refund_push_voids_unused_codes(sim: TestClient, rx: Receiver) -> None:
    order = purchase(sim, quantity=2)
    first, second = order["codes"]
    rx.used.add(second)
    refund = sim.post("/_sim/weimall/refunds", json={"order_no": order["order_no"]}).json()
    assert refund["status"] == "done"
    assert refund["voided"] == [first]
    assert refund["refused"] == [{"code": second, "reason": "already_redeemed"}]
    [pushed] = rx.of("VOUCHER_REFUNDED")
    assert pushed["payload"]["order_no"] == order["order_no"]
    assert "codes" not in pushed["payload"]  # absent = every unused code
    codes = {c["code"]: c["status"] for c in sim.get("/_sim/weimall/codes").json()}
    assert codes == {first: "voided", second: "unused"}
    assert use(sim, first, "r-after-refund")["code"] == 40902
    assert sim.post("/_sim/weimall/refunds", json={"order_no": "nope"}).status_code == 404


def test_ping_and_arbitrary_pushes(sim: TestClient, rx: Receiver) -> None:
    ping = sim.post("/_sim/weimall/ping").json()
    assert ping["ok"] is True
    assert ping["envelope"]["test"] is True
    tampered = sim.post(
        "/_sim/weimall/push", json={"type": "PING", "payload": {}, "tamper": True}
    ).json()
    assert tampered["ok"] is False
    assert tampered["answer"]["code"] == 40001
    stale = sim.post(
        "/_sim/weimall/push", json={"type": "PING", "payload": {}, "timestamp_offset_s": -301}
    ).json()
    assert stale["answer"] == {"code": 40001, "msg": "timestamp out of tolerance", "data": {}}
    assert [c.get("refused") for c in rx.calls] == [
        None,
        "invalid sign",
        "timestamp out of tolerance",
    ]


# ---- faults, hooks, config ----------------------------------------------------------------------
def test_faults_and_biz_error(sim: TestClient) -> None:
    seed(sim, "JF1")
    sim.post("/_sim/faults", json={"path": REDEEMED, "kind": "http_503", "count": 1})
    envelope = build_envelope(STORE, SECRET, "CALL", {}, now_s=sim_now(sim))
    assert sim.post(REDEEMED, json=envelope).status_code == 503
    sim.post("/_sim/faults", json={"path": "/open/v1/*", "kind": "biz_error", "count": 1})
    assert call(sim, "/open/v1/ping", {})["code"] == 50000
    sim.post("/_sim/faults", json={"path": REDEEMED, "kind": "after_commit_503", "count": 1})
    payload = {"code": "JF1", "redemption_id": "r-1", "discount_fen": 1}
    payload["redeemed_at"] = "2025-05-25T04:00:00+00:00"
    envelope = build_envelope(STORE, SECRET, "CALL", payload, now_s=sim_now(sim))
    assert sim.post(REDEEMED, json=envelope).status_code == 503
    assert sim.post(REDEEMED, json={**envelope, "send_count": 2}).json()["code"] == 0
    [code] = sim.get("/_sim/weimall/codes").json()
    assert code["use_count"] == 1
    recorded = sim.get("/_sim/requests", params={"path": REDEEMED}).json()
    assert [r["fault"] for r in recorded] == ["http_503", "after_commit_503", None]


def test_add_store_and_config_from_env() -> None:
    config = config_from_env({"WEIMALL_STORE_ID": "s9", "SIM_TARGET_BASE_URL": "http://x"})
    assert (config.store_id, config.store_secret, config.target_base_url) == (
        "s9",
        "wm-secret-1",
        "http://x",
    )
    defaults = config_from_env({})
    assert (defaults.store_id, defaults.store_name) == ("wm-store-1", "右姑娘火锅(微商城)")
    with TestClient(create_app(make_config())) as client:
        added = {"store_id": "wm-2", "secret": "s-2", "name": "福田店"}
        assert client.post("/_sim/weimall/stores", json=added).status_code == 200
        envelope = build_envelope("wm-2", "s-2", "PING", {}, now_s=sim_now(client))
        assert client.post("/open/v1/ping", json=envelope).json()["data"] == {
            "store_name": "福田店"
        }
        client.post("/_sim/reset")
        assert client.post("/open/v1/ping", json=envelope).json()["code"] == 40001


def test_over_real_http(receiver: tuple[Receiver, str], rx: Receiver) -> None:
    config = make_config(receiver[1], time_scale=0.001)
    with ServerThread(create_app(config)) as server, httpx.Client(base_url=server.base_url) as h:
        order = h.post(
            "/_sim/weimall/purchases", json={"store_id": STORE, "coupon_id": "L", "quantity": 1}
        ).json()
        [code] = order["codes"]
        payload = {"code": code, "redemption_id": "r-1", "discount_fen": 100}
        payload["redeemed_at"] = "2025-05-25T04:00:00+00:00"
        envelope = build_envelope(STORE, SECRET, "CALL", payload, now_s=int(time.time()))
        assert h.post(REDEEMED, json=envelope).json() == {"code": 0, "msg": "success", "data": {}}
        assert h.get("/_sim/weimall/codes").json()[0]["status"] == "used"
