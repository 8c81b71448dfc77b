"""The payment notify on both backends, end to end with the WeChat simulator: a genuine notify
is verified, decrypted and recorded once as a 'wechat' tender; a replay changes nothing and is
answered 2xx; a forged signature is 401 and records nothing; a notify whose amount is not what we
asked is refused; a notify for a bill settled meanwhile is kept for refund, not a second tender;
checkout then needs no other tender and the receipt shows the voucher and the WeChat payment."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.helpers import demo_admin_headers, wait_until
from tests.selfpay.conftest import GUEST, NOTIFY, pay_now, replay, start, table_bill
from voucherbridge.bootstrap import Container
from voucherbridge.selfpay.payments import PAID, REFUND_DUE, StartedPayment
from voucherbridge.selfpay.repository import OnlinePaymentRepo


@pytest.fixture
def paid_unheard(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    wechat: httpx.Client,
    dead_url: str,
) -> tuple[dict[str, Any], StartedPayment]:
    """A table's bill paid at the simulator whose genuine notify went nowhere (the test then
    replays it, or an altered one, to our service)."""
    bill = table_bill(client, auth)
    started = start(container, demo, bill["id"], dead_url)
    pay_now(wechat, started)
    return bill, started


def _payment(container: Container, out_trade_no: str) -> Any:
    with container.uow() as tx:
        return tx.repo(OnlinePaymentRepo).by_trade_no(out_trade_no)


def _order(client: Any, auth: dict[str, str], order_id: int) -> dict[str, Any]:
    got = client.get(f"/api/v1/orders/{order_id}", headers=auth)
    assert got.status_code == 200, got.text
    return dict(got.json())


def _audit(client: Any, admin: dict[str, str], action: str) -> list[dict[str, Any]]:
    rows = client.get("/api/admin/v1/audit", params={"action": action}, headers=admin)
    assert rows.status_code == 200, rows.text
    body = rows.json()
    items = body["items"] if isinstance(body, dict) else body
    return [r for r in items if r["action"] == action]


def test_a_notify_is_recorded_once_and_a_replay_changes_nothing(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    wechat: httpx.Client,
    live: str,
) -> None:
    bill = table_bill(client, auth)
    voucher = client.post(
        "/api/v1/redemptions",
        json={"code": demo["codes"]["cash"][0], "order_id": bill["id"]},
        headers=auth,
    )
    assert voucher.status_code == 201, voucher.text
    due = _order(client, auth, bill["id"])["due_fen"]
    started = start(container, demo, bill["id"], live + NOTIFY)
    assert started.amount_fen == due > 0
    # a second tap on 微信支付 pays the same JSAPI order
    assert start(container, demo, bill["id"], live + NOTIFY).prepay_id == started.prepay_id

    paid = pay_now(wechat, started)
    assert paid["trade_state"] == "SUCCESS"
    wait_until(lambda: _payment(container, started.out_trade_no).status == "paid")
    assert paid["attempts"][0]["status_code"] == 204  # answered at once, nothing to retry
    order = _order(client, auth, bill["id"])
    assert [(t["type"], t["amount_fen"], t["reference"]) for t in order["tenders"]] == [
        ("wechat", due, paid["transaction_id"])
    ]
    assert order["due_fen"] == 0
    assert order["status"] == "open"

    again = replay(wechat, started.out_trade_no, live + NOTIFY)
    assert again["status_code"] == 204, again
    assert _order(client, auth, bill["id"])["tenders"] == order["tenders"]
    payment = _payment(container, started.out_trade_no)
    assert (payment.status, payment.transaction_id) == ("paid", paid["transaction_id"])
    admin = demo_admin_headers(client, demo)
    [row] = _audit(client, admin, PAID)  # one audit row: the replay added none
    assert row["after"]["transaction_id"] == paid["transaction_id"]

    # The cashier settles with nothing more to take; the receipt shows both.
    closed = client.post(
        f"/api/v1/orders/{bill['id']}/checkout", json={"tenders": []}, headers=auth
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    receipt = client.get(f"/api/v1/orders/{bill['id']}/receipt?format=text", headers=auth)
    assert receipt.status_code == 200, receipt.text
    assert "微信支付" in receipt.text
    assert "票券x1" in receipt.text

    # 反结账 voids the WeChat tender with the others: no alert to settle it again
    client.cookies.set("vb_cashier", demo["terminal_key"])
    assert "event: payment" not in client.get("/cashier/live?once=1").text
    reopened = client.post(f"/api/v1/orders/{bill['id']}/reopen", json={}, headers=auth)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["tenders"] == []
    assert "event: payment" not in client.get("/cashier/live?once=1").text


def _forged_headers(body: str, serial: str) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stamp, nonce = str(int(time.time())), "forgednonce0000000000000000000000"
    signed = key.sign(f"{stamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": base64.b64encode(signed).decode(),
        "Wechatpay-Serial": serial,
    }


def test_a_forged_or_altered_notify_is_401_and_records_nothing(
    client: Any,
    auth: dict[str, str],
    container: Container,
    wechat: httpx.Client,
    live: str,
    dead_url: str,
    paid_unheard: tuple[dict[str, Any], StartedPayment],
) -> None:
    bill, started = paid_unheard  # the genuine notify goes nowhere
    order = next(
        o
        for o in wechat.get("/_sim/wechatpay/orders").json()
        if o["out_trade_no"] == started.out_trade_no
    )
    genuine = order["notify_body"]
    serial = container.settings.wechatpay_platform_serial

    forged = httpx.post(live + NOTIFY, content=genuine, headers=_forged_headers(genuine, serial))
    assert forged.status_code == 401, forged.text
    assert forged.json()["error"]["code"] == "invalid_signature"
    unsigned = httpx.post(
        live + NOTIFY, content=genuine, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401
    # WeChat's own signature, over the genuine body, on an altered body.
    replay(wechat, started.out_trade_no, dead_url)
    altered = json.loads(genuine)
    altered["id"] = "altered"
    headers = _headers_of(wechat, started.out_trade_no)
    assert (
        httpx.post(live + NOTIFY, content=json.dumps(altered), headers=headers).status_code == 401
    )

    assert _payment(container, started.out_trade_no).status == "created"
    assert _order(client, auth, bill["id"])["tenders"] == []


def _headers_of(wechat: httpx.Client, out_trade_no: str) -> dict[str, str]:
    """Genuine Wechatpay-* headers for some body (the last attempt's, from the simulator)."""
    order = next(
        o for o in wechat.get("/_sim/wechatpay/orders").json() if o["out_trade_no"] == out_trade_no
    )
    return dict(order["attempts"][-1]["headers"])


def test_a_notify_for_another_amount_is_refused(
    client: Any,
    auth: dict[str, str],
    container: Container,
    wechat: httpx.Client,
    live: str,
    paid_unheard: tuple[dict[str, Any], StartedPayment],
) -> None:
    bill, started = paid_unheard
    wrong = replay(wechat, started.out_trade_no, live + NOTIFY, amount_total=started.amount_fen - 1)
    assert wrong["status_code"] == 422, wrong
    assert "payment_mismatch" in wrong["answer"]
    other_mchid = replay(wechat, started.out_trade_no, live + NOTIFY, mchid="1900000999")
    assert other_mchid["status_code"] == 422, other_mchid
    assert _payment(container, started.out_trade_no).status == "created"
    assert _order(client, auth, bill["id"])["tenders"] == []
    # WeChat's next try with the true notify is recorded.
    assert replay(wechat, started.out_trade_no, live + NOTIFY)["status_code"] == 204
    assert _payment(container, started.out_trade_no).status == "paid"


def test_a_notify_for_a_settled_bill_is_kept_for_refund_not_a_second_tender(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    wechat: httpx.Client,
    live: str,
    paid_unheard: tuple[dict[str, Any], StartedPayment],
) -> None:
    bill, started = paid_unheard
    cash = client.post(
        f"/api/v1/orders/{bill['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": started.amount_fen}]},
        headers=auth,
    )
    assert cash.status_code == 200, cash.text
    late = replay(wechat, started.out_trade_no, live + NOTIFY)
    assert late["status_code"] == 204, late  # taken (WeChat stops retrying), kept for refund
    payment = _payment(container, started.out_trade_no)
    assert payment.status == "refund_due"
    assert payment.transaction_id
    tenders = _order(client, auth, bill["id"])["tenders"]
    assert [t["type"] for t in tenders] == ["cash"]
    assert replay(wechat, started.out_trade_no, live + NOTIFY)["status_code"] == 204
    assert _payment(container, started.out_trade_no).status == "refund_due"
    assert len(_audit(client, demo_admin_headers(client, demo), REFUND_DUE)) == 1
    assert GUEST == payment.openid
