"""WeimallClient against the micro-mall simulator over real loopback HTTP: binding test, use and
reversal sync, statements, and what happens when the mall is down or its answer is lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import Credentials
from voucherbridge.platforms.weimall.client import WeimallClient
from voucherbridge_sims.weimall.simulator import ServerThread, WeimallSimConfig, create_app

STORE, SECRET = "wm-client-store", "wm-client-secret"
CREDS = Credentials("weimall", STORE, SECRET)
REDEEMED = "/open/v1/vouchers/redeemed"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = WeimallSimConfig(store_id=STORE, store_secret=SECRET, store_name="右姑娘火锅(皇岗店)")
    with ServerThread(create_app(config)) as server:
        yield server.base_url


@pytest.fixture
def hooks(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        http.post("/_sim/reset").raise_for_status()
        http.post("/_sim/weimall/codes", json={"codes": ["JC1", "JC2"]}).raise_for_status()
        yield http


@pytest.fixture
def client(base_url: str, hooks: httpx.Client) -> Iterator[WeimallClient]:
    wm = WeimallClient(base_url, retry_wait_s=0, timeout_s=5)
    yield wm
    wm.close()


def redeem(client: WeimallClient, code: str = "JC1", rid: str = "r-1") -> None:
    client.redeemed(
        CREDS,
        code=code,
        redemption_id=rid,
        store_id=STORE,
        order_no="WM1",
        discount_fen=10000,
        redeemed_at="2025-05-25T04:00:00+00:00",
    )


def uses(hooks: httpx.Client, code: str = "JC1") -> int:
    [found] = [c for c in hooks.get("/_sim/weimall/codes").json() if c["code"] == code]
    return int(found["use_count"])


def fault(hooks: httpx.Client, kind: str, count: int, **extra: Any) -> None:
    body = {"path": REDEEMED, "kind": kind, "count": count, **extra}
    hooks.post("/_sim/faults", json=body).raise_for_status()


def test_binding_ping_and_wrong_secret(client: WeimallClient) -> None:
    assert client.test_binding(STORE, SECRET) == "右姑娘火锅(皇岗店)"
    for store, secret in ((STORE, "wrong"), ("wm-nobody", SECRET)):
        with pytest.raises(DomainError) as caught:
            client.test_binding(store, secret)
        assert caught.value.code is ErrorCode.BINDING_REJECTED
        assert caught.value.params == {"platform": "weimall"}


def test_redeemed_twice_counts_one_use(client: WeimallClient, hooks: httpx.Client) -> None:
    redeem(client)
    redeem(client)
    assert uses(hooks) == 1
    recorded = hooks.get("/_sim/requests", params={"path": REDEEMED}).json()
    assert len(recorded) == 2
    assert "wm-client-secret" not in str(recorded[0]["body"])


@pytest.mark.parametrize(
    ("setup", "expected", "params"),
    [
        ("used", ErrorCode.VOUCHER_ALREADY_REDEEMED, {"code": "JC1", "time": "", "store": ""}),
        ("unknown", ErrorCode.VOUCHER_NOT_FOUND, {"code": "JZZ"}),
    ],
)
def test_redeemed_refusals(
    client: WeimallClient, setup: str, expected: ErrorCode, params: dict[str, Any]
) -> None:
    if setup == "used":
        redeem(client, rid="r-first")
    with pytest.raises(DomainError) as caught:
        redeem(client, code=str(params["code"]), rid="r-other")
    assert caught.value.code is expected
    assert caught.value.params == params


def test_three_503_is_platform_unavailable(client: WeimallClient, hooks: httpx.Client) -> None:
    fault(hooks, "http_503", 3)
    with pytest.raises(DomainError) as caught:
        redeem(client)
    assert caught.value.code is ErrorCode.PLATFORM_UNAVAILABLE
    assert caught.value.params == {"platform": "weimall"}
    assert uses(hooks) == 0
    assert len(hooks.get("/_sim/requests", params={"path": REDEEMED}).json()) == 3


def test_two_503_then_success(client: WeimallClient, hooks: httpx.Client) -> None:
    fault(hooks, "http_503", 2)
    redeem(client)
    assert uses(hooks) == 1
    sent = hooks.get("/_sim/requests", params={"path": REDEEMED}).json()
    assert [r["body"]["send_count"] for r in sent] == [1, 2, 3]
    assert len({r["body"]["msg_id"] for r in sent}) == 1


def test_lost_answer_then_retry_counts_one_use(client: WeimallClient, hooks: httpx.Client) -> None:
    fault(hooks, "after_commit_503", 1)
    redeem(client)
    assert uses(hooks) == 1
    assert [r["fault"] for r in hooks.get("/_sim/requests").json()] == ["after_commit_503", None]


def test_busy_code_is_retried_and_timeout_gives_up(
    client: WeimallClient, hooks: httpx.Client, base_url: str
) -> None:
    fault(hooks, "biz_error", 1, biz_code=50001)
    redeem(client)
    assert uses(hooks) == 1
    fault(hooks, "timeout", 2, timeout_s=1.0)
    quick = WeimallClient(base_url, retry_wait_s=0, timeout_s=0.3, max_attempts=2)
    with pytest.raises(DomainError) as caught:
        redeem(quick, code="JC2", rid="r-2")
    quick.close()
    assert caught.value.code is ErrorCode.PLATFORM_UNAVAILABLE


def test_reversal_idempotent_then_window_closed(client: WeimallClient, hooks: httpx.Client) -> None:
    redeem(client)
    client.reversed(CREDS, code="JC1", redemption_id="r-1", reversed_at="t", reason="反结账退券")
    client.reversed(CREDS, code="JC1", redemption_id="r-1", reversed_at="t", reason="反结账退券")
    redeem(client, rid="r-2")
    hooks.post("/_sim/clock", json={"advance_s": 3700}).raise_for_status()
    with pytest.raises(DomainError) as caught:
        client.reversed(CREDS, code="JC1", redemption_id="r-2", reversed_at="t", reason="x")
    assert caught.value.code is ErrorCode.REVERSAL_WINDOW_CLOSED
    assert caught.value.params == {"minutes": 60}


def test_settlements(client: WeimallClient, hooks: httpx.Client) -> None:
    redeem(client)
    rows = client.settlements(CREDS, date(2025, 5, 25))
    assert [(r["redemption_id"], r["amount_fen"], r["status"]) for r in rows] == [
        ("r-1", 10000, "redeemed")
    ]
    assert client.settlements(CREDS, date(2025, 5, 26)) == []
