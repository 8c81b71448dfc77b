"""Every consumer notification end to end: a purchase on the micro-mall simulator, then its
redemption, reversal and checkout at the till, and the reminder three days before expiry, each
queued with its event and delivered by the worker to the WeChat simulator's inbox with the
right words and yuan; a token that expires mid-run is renewed and the message delivered once;
a refusing user is recorded and not retried; a spent quota waits and delivers after the reset;
two workers share one token (one fetch)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.factories import FakeClock
from tests.helpers import buy_weimall, demo_listing, open_order
from tests.notifications.conftest import FAN, calls, inbox
from voucherbridge.bootstrap import Container, build
from voucherbridge.notifications.expiring import enqueue_expiring
from voucherbridge.notifications.repository import NotificationRepo
from voucherbridge.outbox.service import DeliveryReport, deliver_due

API = "/api/admin/v1"
SEND = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/stable_token"
SOUP = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]
Deliver = Callable[[], DeliveryReport]


def _buy(weimall: httpx.Client, client: Any, admin: dict[str, str], quantity: int = 1) -> list[str]:
    cash = demo_listing(client, admin, "weimall")["public_id"]
    return list(buy_weimall(weimall, cash, quantity=quantity, openid=FAN)["codes"])


def _lines(message: dict[str, Any]) -> dict[str, str]:
    return {line["label"]: line["value"] for line in message["lines"]}


def _statuses(container: Container, merchant_id: int = 1) -> list[str]:
    with container.uow() as uow:
        return [r.status for r in uow.repo(NotificationRepo).recent(merchant_id, None, 50)]


def test_purchase_redeem_reverse_and_checkout_reach_the_buyers_inbox(
    live: str,
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
    container: Container,
) -> None:
    [code] = _buy(weimall, client, admin)
    assert inbox(wechat) == []  # never a call inside the request: the worker sends it
    deliver()
    [bought] = inbox(wechat)
    assert bought["title"] == "购买成功通知"
    assert _lines(bought)["商品名称"] == "100元代金券"
    assert _lines(bought)["面值"] == "100.00元"
    assert _lines(bought)["券码"] == code[:4] + "*" * (len(code) - 8) + code[-4:]

    order = open_order(client, auth, SOUP, table="A01")
    redeemed = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": order["id"]}, headers=auth
    )
    assert redeemed.status_code == 201, redeemed.text
    deliver()
    used = inbox(wechat)[-1]
    assert used["title"] == "票券已核销"
    assert _lines(used)["抵扣金额"] == "100.00元"
    assert _lines(used)["核销门店"] == "皇岗店"
    assert len(_lines(used)["核销时间"]) == len("2026-12-02 22:30")

    reversed_ = client.post(
        f"/api/v1/redemptions/{redeemed.json()['id']}/reverse",
        json={"reason": "顾客取消"},
        headers=auth,
    )
    assert reversed_.status_code == 200, reversed_.text
    deliver()
    undone = inbox(wechat)[-1]
    assert undone["title"] == "撤销核销通知"
    assert _lines(undone)["门店"] == "皇岗店"

    again = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": order["id"]}, headers=auth
    )
    assert again.status_code == 201, again.text
    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": 9900}]},
        headers=auth,
    )
    assert paid.status_code == 200, paid.text
    deliver()
    titles = [m["title"] for m in inbox(wechat)]
    assert titles == ["购买成功通知", "票券已核销", "撤销核销通知", "票券已核销", "消费完成通知"]
    done = inbox(wechat)[-1]
    assert _lines(done)["消费金额"] == "199.00元"
    assert _lines(done)["消费门店"] == "皇岗店"
    assert _lines(done)["使用票券"] == "100元代金券"
    # each message went out once; the mall heard of both uses and the reversal too
    assert len(calls(wechat, SEND)) == 5
    assert len(calls(weimall, "/open/v1/vouchers/redeemed")) == 2
    assert _statuses(container) == ["sent"] * 5


def test_no_template_or_no_buyer_queues_nothing(
    live: str,
    client: Any,
    admin: dict[str, str],
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
    container: Container,
) -> None:
    _buy(weimall, client, admin)  # the merchant has set no template
    deliver()
    assert inbox(wechat) == []
    assert _statuses(container) == []
    outbox = client.get(f"{API}/outbox", headers=admin).json()
    assert not [r for r in outbox["rows"] if r["destination"] == "notify"]


def test_the_reminder_three_days_before_expiry_goes_once(
    live: str,
    client: Any,
    admin: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
    container: Container,
    clock: FakeClock,
) -> None:
    [code] = _buy(weimall, client, admin)
    deliver()
    with container.uow() as uow:
        [facts] = uow.repo(NotificationRepo).facts_of_codes(1, [code])
    early = facts.valid_until - timedelta(days=4)
    assert enqueue_expiring(container.uow, early) == 0
    due = facts.valid_until - timedelta(days=2, hours=23)
    assert enqueue_expiring(container.uow, due) == 1
    assert enqueue_expiring(container.uow, due + timedelta(minutes=10)) == 0  # claimed once
    second = build(container.settings)  # another worker process passing too
    try:
        assert enqueue_expiring(second.uow, due + timedelta(minutes=20)) == 0
    finally:
        second.engine.dispose()
    clock.now = due + timedelta(minutes=30)  # the worker's now: the reminder is due
    deliver()
    reminder = inbox(wechat)[-1]
    assert reminder["title"] == "票券即将到期"
    until = facts.valid_until.astimezone(ZoneInfo("Asia/Shanghai"))
    assert _lines(reminder)["到期日期"] == until.strftime("%Y-%m-%d")
    assert [m["title"] for m in inbox(wechat)].count("票券即将到期") == 1


def test_a_token_that_expires_mid_run_is_renewed_and_the_message_sent_once(
    live: str,
    client: Any,
    admin: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
) -> None:
    _buy(weimall, client, admin)
    deliver()
    assert len(calls(wechat, TOKEN)) == 1
    wechat.post("/_sim/wechat/expire-token").raise_for_status()
    _buy(weimall, client, admin)
    report = deliver()
    assert report.delivered == 1
    assert report.retried == 0
    assert len(calls(wechat, TOKEN)) == 2
    answers = [c["response"]["body"]["errcode"] for c in calls(wechat, SEND)]
    assert answers == [0, 42001, 0]
    assert len(inbox(wechat)) == 2


def test_a_user_who_refuses_is_recorded_and_not_retried(
    live: str,
    client: Any,
    admin: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
    container: Container,
    clock: FakeClock,
) -> None:
    wechat.post("/_sim/wechat/users", json={"openid": FAN, "refused": True}).raise_for_status()
    _buy(weimall, client, admin)
    report = deliver()
    assert report.skipped == 1
    assert _statuses(container) == ["refused"]
    clock.advance(hours=2)
    deliver()
    assert len(calls(wechat, SEND)) == 1
    [row] = [
        r
        for r in client.get(f"{API}/outbox", headers=admin).json()["rows"]
        if r["destination"] == "notify"
    ]
    assert row["status"] == "skipped"
    assert "not following/refused" in row["last_error"]
    assert inbox(wechat) == []


def test_a_spent_quota_waits_and_the_message_goes_after_the_reset(
    live: str,
    client: Any,
    admin: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    deliver: Deliver,
    container: Container,
    clock: FakeClock,
) -> None:
    wechat.post("/_sim/wechat/quota", json={"daily": 0}).raise_for_status()
    _buy(weimall, client, admin)
    report = deliver()
    assert report.retried == 1
    assert _statuses(container) == ["waiting_quota"]
    assert deliver().delivered == 0  # not due yet: the outbox backs off
    wechat.post("/_sim/wechat/quota", json={"daily": 100, "reset": True}).raise_for_status()
    clock.advance(seconds=30)
    assert deliver().delivered == 1
    assert _statuses(container) == ["sent"]
    assert len(inbox(wechat)) == 1


def test_two_workers_share_one_token(
    live: str,
    client: Any,
    admin: dict[str, str],
    templates: None,
    weimall: httpx.Client,
    wechat: httpx.Client,
    container: Container,
) -> None:
    _buy(weimall, client, admin)
    first = deliver_due(container.uow, container.deliverers(), container.clock)
    other = build(container.settings)  # a second worker process: its own notifier and cache
    try:
        _buy(weimall, client, admin)
        second = deliver_due(other.uow, other.deliverers(), other.clock)
    finally:
        other.engine.dispose()
    assert (first.delivered, second.delivered) == (1, 1)
    assert len(calls(wechat, TOKEN)) == 1
    tokens = {c["query"]["access_token"] for c in calls(wechat, SEND)}
    assert len(tokens) == 1
