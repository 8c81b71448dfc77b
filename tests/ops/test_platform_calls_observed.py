"""Platform calls carry the request id and are timed and counted; reversals are counted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.helpers import SEED_ORDER, must_redeem, open_order
from tests.pgserver import free_port
from voucherbridge.core.request_id import request_scope
from voucherbridge.platforms.transport import platform_http
from voucherbridge.platforms.weimall.client import PING
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_platform_call_sends_the_request_id_and_is_timed_and_counted():
    latency = "voucherbridge_platform_call_duration_seconds_count"
    errors = "voucherbridge_platform_call_errors_total"
    with ServerThread(weimall_app(WeimallSimConfig())) as mall:
        with platform_http(mall.base_url, timeout_s=5, platform="weimall") as http:
            outcome = f"{http.post(PING, json={}).status_code // 100}xx"
            before = _value(latency, platform="weimall", outcome=outcome)
            with request_scope("till-3.77"):
                http.post(PING, json={})
            http.post(PING, json={})  # outside a request: no id
        seen = httpx.get(f"{mall.base_url}/_sim/requests", params={"path": PING}).json()
    assert _value(latency, platform="weimall", outcome=outcome) - before == 2
    ids = [call["headers"].get("x-request-id") for call in seen]
    assert ids.count("till-3.77") == 1
    assert ids.count(None) >= 1

    failed = _value(errors, platform="meituan", error="ConnectError")
    dead = f"http://127.0.0.1:{free_port()}"
    with (
        platform_http(dead, timeout_s=2, platform="meituan") as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.get("/")
    assert _value(errors, platform="meituan", error="ConnectError") - failed == 1
    assert _value(latency, platform="meituan", outcome="error") >= 1


def test_reversals_are_counted_by_platform_and_result(
    client: TestClient, demo: dict[str, Any], auth: dict[str, str]
):
    counted = "voucherbridge_reversals_total"
    before = _value(counted, platform="weimall", result="reversed")
    refused_before = _value(counted, platform="unknown", result="redemption_not_found")
    order = open_order(client, auth, SEED_ORDER["lines"])
    redemption = must_redeem(client, auth, demo["codes"]["cash"][0], order["id"])
    done = client.post(f"/api/v1/redemptions/{redemption['id']}/reverse", headers=auth, json={})
    assert done.status_code == 200, done.text
    missing = client.post("/api/v1/redemptions/rdm_nope/reverse", headers=auth, json={})
    assert missing.status_code == 404, missing.text
    assert _value(counted, platform="weimall", result="reversed") - before == 1
    assert _value(counted, platform="unknown", result="redemption_not_found") - refused_before == 1
