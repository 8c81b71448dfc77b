"""Every inbound route answers every message its platform sends, signed exactly as the platform
signs it (the signing modules, the simulators' push code): Douyin's four SPIs and its webhook
(the URL check and each event type of PROTOCOLS.md §1.3), the micro-mall's purchase, refund
and ping pushes. Each gets the platform's success answer, never a 500; a message of a type we
do not know gets a clear answer the platform understands and changes nothing.

The client does not raise server errors, so a crash shows up as what the platform would see:
HTTP 500.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import FakeClock
from tests.helpers import demo_admin_headers
from voucherbridge.bootstrap import Container
from voucherbridge.config import Settings
from voucherbridge.db import tables as t
from voucherbridge.demo.seed import DEMO_BINDINGS
from voucherbridge.platforms.douyin.signing import signed_spi_query, webhook_signature
from voucherbridge.platforms.weimall.signing import build_envelope

API = "/api/admin/v1"
DOUYIN_KEY = "vb-demo-key"  # the settings' default client_key
DOUYIN_SECRET = Settings().douyin_client_secret  # our one app's
WM_STORE, WM_SECRET = DEMO_BINDINGS["weimall"][0].format(n=1), DEMO_BINDINGS["weimall"][1]
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def hooks(app: Any, clock: FakeClock) -> Iterator[TestClient]:
    """Our service as a platform reaches it: a crash is an HTTP 500, not an exception."""
    with TestClient(app, raise_server_exceptions=False) as http:
        yield http


def _dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as the platforms (and our simulators) send it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _listing(http: TestClient, demo: dict[str, Any], platform: str) -> str:
    admin = demo_admin_headers(http, demo)
    listings = http.get(f"{API}/listings", headers=admin).json()
    found = [
        li
        for li in listings
        if li["platform"] == platform and li["code_type"] == "merchant" and li["active"]
    ]
    assert found, listings
    return str(found[0]["public_id"])


def _code_rows(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.codes)).scalar_one())


# ---- Douyin SPIs -------------------------------------------------------------------------------
def _spi(
    http: TestClient,
    clock: FakeClock,
    name: str,
    payload: dict[str, Any],
    *,
    legacy_only: bool = False,
) -> Any:
    """One SPI call as Douyin makes it: signed query + ``x-life-sign`` (or only the legacy md5
    ``sign`` of older deliveries), ``X-Bytedance-Logid``, the raw JSON body."""
    body = _dumps(payload)
    query, headers = signed_spi_query(
        DOUYIN_KEY, DOUYIN_SECRET, body, int(clock.now.timestamp() * 1000)
    )
    if legacy_only:
        headers = {k: v for k, v in headers.items() if k != "x-life-sign"}
    headers = {**headers, "X-Bytedance-Logid": "2026112308000", "content-type": "application/json"}
    return http.post(f"/hooks/douyin/spi/{name}", params=query, content=body, headers=headers)


def _data(response: Any) -> dict[str, Any]:
    """Douyin's success: HTTP 200 and ``data.error_code`` 0."""
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["error_code"] == 0, data
    return dict(data)


@pytest.mark.parametrize("legacy_only", [False, True], ids=["x-life-sign", "legacy-md5-sign"])
def test_every_douyin_spi_answers_a_signed_call_with_douyins_success(
    hooks: TestClient,
    demo: dict[str, Any],
    clock: FakeClock,
    legacy_only: bool,
) -> None:
    listing = _listing(hooks, demo, "douyin")
    start = int(clock.now.timestamp())
    order_id = "1090000000000077001"
    issue = {
        "order_id": order_id,
        "count": 2,
        "sku": {
            "sku_name": "法棍泡芙-抖音福利",
            "sku_id": "1780000000001",
            "third_sku_id": listing,
            "groupon_type": 2,
        },
        "open_id": "_000abc-douyin-buyer",
        "start_time": start,
        "expire_time": start + 30 * 86400,
        "amount": {"original_amount": 3980, "pay_amount": 2000},
    }
    issued = _data(_spi(hooks, clock, "issue", issue, legacy_only=legacy_only))
    assert issued["result"] == 1
    codes = [c["code"] for c in issued["certificates"]]
    assert len(codes) == 2
    assert all(c.startswith("D") for c in codes)
    # the issue SPI's reply shape: each code with its certificate_id
    assert all(
        set(c) == {"certificate_id", "code"} and c["certificate_id"] for c in issued["certificates"]
    )

    status = _data(
        _spi(
            hooks,
            clock,
            "order-status",
            {"scene": "fulfil", "order_ids": [order_id, "1090000000000099999"]},
            legacy_only=legacy_only,
        )
    )
    assert list(status["result"]) == [order_id]  # an order that is not ours is left out
    assert sorted(c["code"] for c in status["result"][order_id]["codes"]) == sorted(codes)

    apply = {
        "order_id": order_id,
        "after_sale_id": "7300000000000000001",
        "refund_amount": 1000,
        "codes": [codes[0]],
        "certificates": [{"certificate_id": "7200000000000000001", "code": codes[0]}],
        "reason": "用户申请退款",
    }
    applied = _data(_spi(hooks, clock, "refund-apply", apply, legacy_only=legacy_only))
    assert (applied["result"], applied["voided"]) == (1, [codes[0]])

    notice = {
        "order_id": order_id,
        "after_sale_id": "7300000000000000001",
        "refund_status": 1,
        "refund_amount": 1000,
        "certificates": [
            {"certificate_id": "7200000000000000001", "code": codes[0], "refund_status": 1}
        ],
    }
    _data(_spi(hooks, clock, "refund-notice", notice, legacy_only=legacy_only))


def test_an_spi_we_do_not_serve_and_odd_fields_are_clear_answers_not_crashes(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "douyin")
    unknown = _spi(hooks, clock, "order-cancel", {"order_id": "1"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "validation_error"

    before = _code_rows(container)
    odd_count = _spi(
        hooks,
        clock,
        "issue",
        {"order_id": "109000000000007702", "count": "2", "sku": {"third_sku_id": listing}},
    )
    data = _data(odd_count)
    assert data["result"] == 2  # failed for good: Douyin refunds the buyer at once
    issued = _data(
        _spi(
            hooks,
            clock,
            "issue",
            {"order_id": "109000000000007703", "count": 1, "sku": {"third_sku_id": listing}},
        )
    )
    odd_codes = _spi(
        hooks,
        clock,
        "refund-apply",
        {"order_id": "109000000000007703", "after_sale_id": "a", "codes": 5},
    )
    assert _data(odd_codes)["result"] == 1  # not a list: the whole order, as with no codes
    assert _code_rows(container) == before + len(issued["certificates"])


@pytest.mark.parametrize("name", ["issue", "refund-apply", "refund-notice", "order-status"])
def test_a_douyin_spi_whose_signature_fails_gets_douyins_answer_and_changes_nothing(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container, name: str
) -> None:
    listing = _listing(hooks, demo, "douyin")
    bodies = {
        "issue": {"order_id": "1090000000000077901", "count": 1, "sku": {"third_sku_id": listing}},
        "refund-apply": {"order_id": "1090000000000077901", "after_sale_id": "a1"},
        "refund-notice": {"order_id": "1", "after_sale_id": "a1", "refund_status": 1},
        "order-status": {"scene": "fulfil", "order_ids": ["1090000000000077901"]},
    }
    body = _dumps(bodies[name])
    query, headers = signed_spi_query(
        DOUYIN_KEY, "not-the-secret", body, int(clock.now.timestamp() * 1000)
    )
    before = _code_rows(container)

    answer = hooks.post(
        f"/hooks/douyin/spi/{name}",
        params=query,
        content=body,
        headers={**headers, "content-type": "application/json"},
    )

    assert answer.status_code == 200, answer.text  # Douyin reads the result from data
    assert answer.json() == {"data": {"error_code": 11004, "description": "验签失败"}}
    assert _code_rows(container) == before


# ---- Douyin webhook ----------------------------------------------------------------------------
def _webhook(
    http: TestClient,
    event: str,
    content: dict[str, Any],
    *,
    content_as_object: bool = False,
    secret: str = DOUYIN_SECRET,
    msg_id: str = "sim-0001",
) -> Any:
    """One webhook message as Douyin sends it: ``content`` a JSON string (an object in the URL
    check), ``X-Douyin-Signature`` = sha1(secret + raw body), ``Msg-Id``."""
    body = _dumps(
        {
            "event": event,
            "client_key": DOUYIN_KEY,
            "content": content if content_as_object else json.dumps(content, ensure_ascii=False),
            "log_id": "202611230800001",
        }
    )
    headers = {
        "X-Douyin-Signature": webhook_signature(secret, body),
        "Msg-Id": msg_id,
        "content-type": "application/json",
    }
    return http.post("/hooks/douyin/webhook", content=body, headers=headers)


def _certificate(order_id: str, code: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "certificate_id": "7200000000000000009",
        "code": code,
        "encrypted_code": "CgYIASAHKAESLgos",
        "status": 1,
        "amount": {"original_amount": 10000, "pay_amount": 6000},
        "sku": {"sku_id": "sku-100", "title": "100元代金券", "groupon_type": 2},
        "verify_id": "7100000000000000009",
        "poi_id": "7001000000001",
        "verify_time": 1763884800,
    }


def test_the_douyin_url_check_echoes_the_challenge_in_both_content_forms(
    hooks: TestClient, demo: dict[str, Any]
) -> None:
    del demo  # the demo's Douyin bindings hold the app secret that signs the check
    as_object = _webhook(hooks, "verify_webhook", {"challenge": 12345}, content_as_object=True)
    assert (as_object.status_code, as_object.json()) == (200, {"challenge": 12345})
    as_string = _webhook(hooks, "verify_webhook", {"challenge": "abc-987"})
    assert (as_string.status_code, as_string.json()) == (200, {"challenge": "abc-987"})

    missing = _webhook(hooks, "verify_webhook", {}, content_as_object=True)
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "validation_error")
    forged = _webhook(hooks, "verify_webhook", {"challenge": 1}, secret="not-the-secret")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_signature")
    assert forged.json()["error"]["message"] == "签名错误"


def test_every_douyin_webhook_event_is_acknowledged_and_an_unknown_one_too(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "douyin")
    ours = "1090000000000077010"  # an order we issued merchant codes for
    [ours_code] = [
        c["code"]
        for c in _data(
            _spi(
                hooks,
                clock,
                "issue",
                {"order_id": ours, "count": 1, "sku": {"third_sku_id": listing}},
            )
        )["certificates"]
    ]
    before = _code_rows(container)
    now_s = int(clock.now.timestamp())
    messages: list[tuple[str, dict[str, Any]]] = [
        (
            "life_trade_certificate_notify",
            {"action": action, "msg_time": now_s, "certificate": _certificate(order, code)},
        )
        for action in ("verify", "verify_cancel", "refund_success")
        for order, code in ((ours, ours_code), ("1080000000000000001", "620000000000001"))
    ]
    messages.append(
        (
            "life_trade_order_notify",
            {
                "action": "pay_success",
                "msg_time": now_s,
                "order": {
                    "order_id": "1080000000000000002",
                    "account_id": "7000000000000000001",
                    "pay_amount": 6000,
                    "original_amount": 10000,
                },
            },
        )
    )
    messages.append(("life_trade_something_new", {"action": "whatever", "msg_time": now_s}))
    for number, (event, content) in enumerate(messages):
        for _ in range(2):  # Douyin delivers duplicates (same Msg-Id): both are fine
            answered = _webhook(hooks, event, content, msg_id=f"msg-{number}")
            assert answered.status_code == 200, (event, content.get("action"), answered.text)
            assert answered.json() == {"error_code": 0}, (event, answered.text)
    assert _code_rows(container) == before  # messages are acknowledged; nothing is issued

    forged = _webhook(hooks, *messages[0], secret="not-the-secret")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_signature")


# ---- micro-mall pushes -------------------------------------------------------------------------
def _push(
    http: TestClient,
    clock: FakeClock,
    type_: str,
    payload: dict[str, Any],
    *,
    test: bool = False,
    secret: str = WM_SECRET,
) -> Any:
    """One push as the mall sends it: the signed envelope (md5 over the URL-encoded msg)."""
    envelope = build_envelope(
        WM_STORE, secret, type_, payload, now_s=int(clock.now.timestamp()), test=test
    )
    return http.post(
        "/hooks/weimall", content=_dumps(envelope), headers={"content-type": "application/json"}
    )


def _mall_ok(response: Any) -> dict[str, Any]:
    """The mall's success: HTTP 200 and ``code`` 0."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["msg"]) == (0, "success"), body
    return dict(body["data"])


def test_every_micro_mall_push_gets_the_malls_success_answer(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "weimall")
    assert _mall_ok(_push(hooks, clock, "PING", {}, test=True)) == {}

    purchase = {
        "order_no": "WM20261123080000123456",
        "coupon_id": listing,
        "title": "60代100元票券抢购",
        "quantity": 3,
        "unit_price_fen": 6000,
        "buyer": {"openid": "o-sim-buyer", "mobile_masked": "138****0000"},
        "paid_at": clock.now.isoformat(),
    }
    codes = _mall_ok(_push(hooks, clock, "VOUCHER_PURCHASED", purchase))["codes"]
    assert len(codes) == 3
    assert all(c.startswith("J") for c in codes)
    replay = _mall_ok(_push(hooks, clock, "VOUCHER_PURCHASED", purchase))  # a new msg_id
    assert replay["codes"] == codes

    one = {"order_no": purchase["order_no"], "refund_no": "RF0001", "codes": [codes[0]]}
    assert _mall_ok(_push(hooks, clock, "VOUCHER_REFUNDED", one)) == {
        "voided": [codes[0]],
        "refused": [],
    }
    # no codes: every code of the order (the one voided before is reported voided again)
    rest = {"order_no": purchase["order_no"], "refund_no": "RF0002"}
    voided = _mall_ok(_push(hooks, clock, "VOUCHER_REFUNDED", rest))["voided"]
    assert sorted(voided) == sorted(codes)

    before = _code_rows(container)
    unknown = _push(hooks, clock, "VOUCHER_TRANSFERRED", {**purchase, "order_no": "WM-X-1"})
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["code"] == 40000  # refused for good (below 50000: not resent)
    assert unknown.json()["msg"] == "unknown type VOUCHER_TRANSFERRED"
    assert _code_rows(container) == before

    forged = _push(hooks, clock, "PING", {}, test=True, secret="not-the-secret")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_signature")


# ---- the class of the crash -------------------------------------------------------------------
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "msg", "log"}


def test_no_log_call_passes_a_field_named_event() -> None:
    """structlog's first parameter is the event: a second ``event=`` raises TypeError at the
    call (the Douyin webhook answered 500 for it), whatever the log level."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"log", "logger", "_log"}
                and any(k.arg == "event" for k in node.keywords)
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
