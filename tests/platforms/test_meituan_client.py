"""MeituanClient against the Meituan simulator over real loopback HTTP: what the cashier sees
when a 美团券 is scanned, consumed (one or several of a purchase), reversed, and when Meituan is
slow, down or says no; and the binding test of a merchant session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import render
from voucherbridge.platforms.meituan.client import MeituanClient
from voucherbridge.platforms.ports import Credentials
from voucherbridge_sims.meituan.simulator import MeituanSimConfig, ServerThread, create_app

KEY, SECRET, SESSION = "mt-test-key", "mt-test-secret", "mt-demo-session"
SHOP, OTHER_SHOP = "mt-shop-1", "mt-shop-2"
R = "/router/tuangou/receipt"
CREDS = Credentials("meituan", SHOP, SESSION)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = MeituanSimConfig(app_key=KEY, app_secret=SECRET)
    with ServerThread(create_app(config)) as server:
        yield server.base_url


@pytest.fixture
def hooks(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


def make_client(base_url: str, **options: Any) -> MeituanClient:
    options.setdefault("retry_wait_s", 0)
    return MeituanClient(base_url, KEY, SECRET, **options)


@pytest.fixture
def client(base_url: str, hooks: httpx.Client) -> Iterator[MeituanClient]:
    meituan = make_client(base_url)
    yield meituan
    meituan.close()


def buy(hooks: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"open_shop_uuid": SHOP, "deal_id": "4100200", "title": "100元代金券", **fields}
    response = hooks.post("/_sim/meituan/receipts", json={"price_yuan": "60", **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def consumes(hooks: httpx.Client) -> list[dict[str, Any]]:
    return list(hooks.get("/_sim/state").json()["consumes"])


def fault(hooks: httpx.Client, path: str, kind: str, count: int | None, **more: Any) -> None:
    body = {"path": path, "kind": kind, "count": count, **more}
    hooks.post("/_sim/faults", json=body).raise_for_status()


def refused(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


# ---- prepare / consume ---------------------------------------------------------------------------
def test_prepare_shows_deal_amounts_and_usable_count(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    bought = buy(hooks, count=3, market_price_yuan="100.00", price_yuan="59.9")
    prepared = client.prepare(CREDS, bought["codes"][0])
    assert (prepared.platform, len(prepared.certificates)) == ("meituan", 3)
    cert = prepared.certificates[0]
    assert (cert.code, cert.handle) == (bought["codes"][0], bought["codes"][0])
    assert (cert.title, cert.product_id) == ("100元代金券", "4100200")
    assert (cert.value_fen, cert.paid_fen) == (10000, 5990)
    assert cert.expires_at is not None
    # receipt_end_date is Beijing wall-clock text ("yyyy-MM-dd HH:mm:ss"), to the second
    shown = cert.expires_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert shown == bought["receipt_end_date"]
    assert consumes(hooks) == []


def test_consume_two_of_a_purchase_then_reverse_one(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    codes = buy(hooks, count=3)["codes"]
    prepared = client.prepare(CREDS, codes[0])
    done = client.verify(CREDS, prepared, 2, "rd_test_1")
    assert len({d.code for d in done}) == 2
    assert done[0].code == codes[0]
    assert {d.code for d in done} < set(codes)
    assert done[0].extra == {
        "deal_id": "4100200",
        "receipt_code": codes[0],
        "order_id": done[0].extra["order_id"],
    }
    assert [c["requestid"] for c in consumes(hooks)] == ["rd_test_1", "rd_test_1"]

    client.cancel(CREDS, done[1])
    client.cancel(CREDS, done[1])  # a repeated reverse (its first answer lost) is fine
    assert client.prepare(CREDS, done[1].code).certificates[0].code == done[1].code


def test_count_larger_than_prepared_is_a_validation_error(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    code = buy(hooks)["codes"][0]
    prepared = client.prepare(CREDS, code)
    assert refused(client.verify, CREDS, prepared, 2, "rd_x").code is ErrorCode.VALIDATION_ERROR


def test_answers_map_to_the_catalogue(client: MeituanClient, hooks: httpx.Client) -> None:
    assert refused(client.prepare, CREDS, "1000000009").code is ErrorCode.VOUCHER_NOT_FOUND
    code = buy(hooks)["codes"][0]
    wrong = refused(client.prepare, Credentials("meituan", OTHER_SHOP, SESSION), code)
    assert wrong.code is ErrorCode.VOUCHER_STORE_NOT_APPLICABLE
    client.verify(CREDS, client.prepare(CREDS, code), 1, "rd_used")
    assert refused(client.prepare, CREDS, code).code is ErrorCode.VOUCHER_ALREADY_REDEEMED

    short = buy(hooks, valid_days=1)["codes"][0]
    hooks.post("/_sim/clock", json={"advance_s": 2 * 86400})
    assert refused(client.prepare, CREDS, short).code is ErrorCode.VOUCHER_EXPIRED

    hooks.post("/_sim/meituan/sessions/expire", json={})
    expired = refused(client.prepare, CREDS, code)
    assert expired.code is ErrorCode.BINDING_EXPIRED  # the merchant must authorize again


def test_lost_consume_answer_is_retried_with_the_same_requestid_and_applied_once(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    code = buy(hooks, count=2)["codes"][0]
    prepared = client.prepare(CREDS, code)
    fault(hooks, f"{R}/consume", "after_commit_503", 1)
    fault(hooks, f"{R}/consume", "reset", 1)
    done = client.verify(CREDS, prepared, 2, "rd_lost")
    assert len(done) == 2
    assert len(consumes(hooks)) == 2  # applied by the first attempt, answered by the third
    sent = hooks.get("/_sim/requests", params={"path": f"{R}/consume"}).json()
    assert len(sent) == 3
    assert all("requestid=rd_lost" in r["raw_body"] for r in sent)


def test_retries_through_503_and_busy_then_unavailable(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    code = buy(hooks)["codes"][0]
    fault(hooks, f"{R}/prepare", "http_503", 1)
    fault(hooks, f"{R}/prepare", "biz_error", 1, biz_code=429)
    assert client.prepare(CREDS, code).certificates[0].code == code

    fault(hooks, f"{R}/*", "http_503", None)
    down = refused(client.prepare, CREDS, code)
    assert down.code is ErrorCode.PLATFORM_UNAVAILABLE
    assert render(down.code, down.params) == "美团暂时无法验券,请稍后重试"
    assert len(hooks.get("/_sim/requests", params={"path": f"{R}/prepare"}).json()) == 3 + 3


def test_timeout_is_platform_unavailable(base_url: str, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]
    fault(hooks, f"{R}/prepare", "timeout", 2, timeout_s=1.0)
    meituan = make_client(base_url, timeout_s=0.3, max_attempts=2)
    try:
        down = refused(meituan.prepare, CREDS, code)
        assert down.code is ErrorCode.PLATFORM_UNAVAILABLE
    finally:
        meituan.close()


def test_reverse_after_ten_minutes_is_refused(client: MeituanClient, hooks: httpx.Client) -> None:
    code = buy(hooks)["codes"][0]
    [done] = client.verify(CREDS, client.prepare(CREDS, code), 1, "rd_late")
    hooks.post("/_sim/clock", json={"advance_s": 11 * 60})
    late = refused(client.cancel, CREDS, done)
    assert late.code is ErrorCode.REVERSAL_WINDOW_CLOSED
    assert late.params["minutes"] == 10
    assert render(late.code, late.params) == "核销已超过10分钟,不能反结账退券"


# ---- binding, authorization, statements ---------------------------------------------------
def test_binding_test_with_wrong_and_right_session(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    assert client.test_binding(SHOP, SESSION) == "右姑娘火锅(皇岗店)"
    assert refused(client.test_binding, SHOP, "not-a-session").code is ErrorCode.BINDING_REJECTED
    outside = refused(client.test_binding, "mt-shop-9", SESSION)
    assert outside.code is ErrorCode.BINDING_REJECTED

    callback = "https://vb.example.test/console/bindings/meituan/callback"
    auth = hooks.post(
        "/_sim/meituan/auth_codes", json={"shops": [OTHER_SHOP], "redirect_url": callback}
    ).json()
    assert refused(client.exchange_auth_code, auth["auth_code"]).code is (
        ErrorCode.BINDING_REJECTED  # the exchange must repeat the authorization's redirect_url
    )
    grant = client.exchange_auth_code(auth["auth_code"], callback)
    assert (grant.bid, grant.remain_refresh_count) == (auth["bid"], 12)
    # the binding keeps the whole grant: the scope call sends its bid, no session query needed
    assert client.test_binding(OTHER_SHOP, grant.secret()) == "右姑娘火锅(福田店)"
    scope = hooks.get("/_sim/requests", params={"path": "/router/oauth/session/scope"}).json()
    assert parse_qs(scope[-1]["body"])["bid"] == [auth["bid"]], scope[-1]
    assert refused(client.test_binding, SHOP, grant.secret()).code is (ErrorCode.BINDING_REJECTED)
    again = refused(client.exchange_auth_code, auth["auth_code"], callback)
    assert again.code is ErrorCode.BINDING_REJECTED
    renewed = client.refresh_session(grant.refresh_token)
    assert renewed.remain_refresh_count == 11
    # a bare session (pasted by hand) still binds: its bid is asked of the session first
    assert client.test_binding(OTHER_SHOP, renewed.access_token) == "右姑娘火锅(福田店)"


def test_binding_test_when_meituan_is_down(client: MeituanClient, hooks: httpx.Client) -> None:
    fault(hooks, "/router/oauth/session/scope", "http_503", None)
    down = refused(client.test_binding, SHOP, SESSION)
    assert down.code is ErrorCode.PLATFORM_UNAVAILABLE


def test_consumed_on_reads_the_settlement_records(
    client: MeituanClient, hooks: httpx.Client
) -> None:
    hooks.post("/_sim/clock", json={"now": "2025-05-25T04:00:00+00:00"})
    code = buy(hooks, price_yuan="19.9")["codes"][0]
    client.verify(CREDS, client.prepare(CREDS, code), 1, "rd_day")
    total, records = client.consumed_on(CREDS, date(2025, 5, 25))
    assert total == 1
    assert (records[0]["requestid"], records[0]["deal_price"]) == ("rd_day", Decimal("19.9"))
