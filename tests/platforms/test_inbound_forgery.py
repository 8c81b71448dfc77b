"""A signature covers the action: every way of re-using a captured, correctly signed platform
message for something else is refused before anything changes, and a message already acted on
(same message id, or the same order and action) is answered with its first answer, never acted
on twice. Forged as an attacker would: from the exact bytes a platform sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import FakeClock
from tests.platforms.test_inbound_hooks import (
    DOUYIN_KEY,
    DOUYIN_SECRET,
    WM_SECRET,
    WM_STORE,
    _dumps,
    _listing,
)
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.platforms.douyin.signing import signed_spi_query
from voucherbridge.platforms.weimall.signing import build_envelope
from voucherbridge_sims.simkit.server import ServerThread

JSON = {"content-type": "application/json"}


@pytest.fixture
def hooks(app: Any, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as http:
        yield http


def _statuses(container: Container, codes: list[str]) -> list[str]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(t.codes.c.code, t.codes.c.status).where(t.codes.c.code.in_(codes))
        ).all()
    found = dict(rows)
    return [found[c] for c in codes]


def _audits(container: Container, action: str) -> int:
    with container.engine.connect() as conn:
        query = select(func.count()).select_from(t.audit_log).where(t.audit_log.c.action == action)
        return int(conn.execute(query).scalar_one())


def _refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_signature"


def _douyin_refused(response: Any) -> None:
    """Douyin's SPI signature rules: a call that fails the check gets HTTP 200 with a non-zero
    ``data.error_code`` and 验签失败, not our 401 body."""
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["error_code"] != 0, data
    assert data["description"] == "验签失败"
    assert set(response.json()) == {"data"}


# ---- micro-mall ---------------------------------------------------------------------------------
def _envelope(clock: FakeClock, type_: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return build_envelope(
        WM_STORE, WM_SECRET, type_, payload, now_s=int(clock.now.timestamp()), **kw
    )


def _post(http: TestClient, envelope: dict[str, Any]) -> Any:
    return http.post("/hooks/weimall", content=_dumps(envelope), headers=JSON)


def _purchase(listing: str, order_no: str) -> dict[str, Any]:
    return {"order_no": order_no, "coupon_id": listing, "quantity": 2, "unit_price_fen": 6000}


def test_a_signed_micro_mall_purchase_cannot_be_replayed_as_anything_else(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "weimall")
    bought = _envelope(clock, "VOUCHER_PURCHASED", _purchase(listing, "WM-FORGE-1"))
    codes = _post(hooks, bought).json()["data"]["codes"]
    assert _statuses(container, codes) == ["issued", "issued"]

    more = bought["msg"].replace("%22quantity%22%3A2", "%22quantity%22%3A9")
    forgeries = {
        "type swapped to a refund": {**bought, "type": "VOUCHER_REFUNDED"},
        "type swapped to a ping": {**bought, "type": "PING"},
        "msg_id swapped": {**bought, "msg_id": "a-fresh-id"},
        "another store's client_id": {**bought, "client_id": WM_STORE.replace("1", "2")},
        "msg edited": {**bought, "msg": more},
    }  # fmt: skip
    for name, forged in forgeries.items():
        assert forged != bought, name
        _refused(_post(hooks, forged))
    assert _statuses(container, codes) == ["issued", "issued"]

    # captured now, sent five minutes and a second later: stale
    refund = _envelope(clock, "VOUCHER_REFUNDED", {"order_no": "WM-FORGE-1", "refund_no": "R1"})
    clock.advance(seconds=301)
    _refused(_post(hooks, refund))
    assert _statuses(container, codes) == ["issued", "issued"]


def test_a_micro_mall_push_acted_on_is_answered_again_never_acted_on_twice(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "weimall")
    issued_before = _audits(container, "codes.issue")
    bought = _envelope(clock, "VOUCHER_PURCHASED", _purchase(listing, "WM-ONCE-1"))
    first = _post(hooks, bought).json()
    assert _post(hooks, bought).json() == first  # the same bytes again (a resend)
    resent = _envelope(clock, "VOUCHER_PURCHASED", _purchase(listing, "WM-ONCE-1"))
    assert _post(hooks, resent).json() == first  # the same order under a new message id
    assert _audits(container, "codes.issue") == issued_before + 1

    codes = first["data"]["codes"]
    refunds_before = _audits(container, "codes.refund")
    one = {"order_no": "WM-ONCE-1", "refund_no": "RF-1", "codes": [codes[0]]}
    refunded = _envelope(clock, "VOUCHER_REFUNDED", one)
    answer = _post(hooks, refunded).json()
    assert answer["data"] == {"voided": [codes[0]], "refused": []}
    assert _post(hooks, refunded).json() == answer
    assert _post(hooks, _envelope(clock, "VOUCHER_REFUNDED", one)).json() == answer
    assert _audits(container, "codes.refund") == refunds_before + 1
    # another refund of the same order is another action
    rest = {"order_no": "WM-ONCE-1", "refund_no": "RF-2", "codes": [codes[1]]}
    assert _post(hooks, _envelope(clock, "VOUCHER_REFUNDED", rest)).json()["data"]["voided"] == [
        codes[1]
    ]
    assert _audits(container, "codes.refund") == refunds_before + 2


def test_simultaneous_resends_of_one_purchase_act_once(
    app: Any, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    with TestClient(app) as http:
        listing = _listing(http, demo, "weimall")
    issued_before = _audits(container, "codes.issue")
    envelopes = [
        _envelope(clock, "VOUCHER_PURCHASED", _purchase(listing, "WM-RACE-1")) for _ in range(8)
    ]
    answers: list[Any] = [None] * len(envelopes)
    with ServerThread(app) as server:

        def send(i: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                answers[i] = http.post("/hooks/weimall", content=_dumps(envelopes[i]), headers=JSON)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(envelopes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    bodies = [a.json() for a in answers]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["code"] == 0
    assert _audits(container, "codes.issue") == issued_before + 1
    with container.engine.connect() as conn:
        sold = conn.execute(
            select(func.count())
            .select_from(t.codes.join(t.code_orders))
            .where(t.code_orders.c.platform_order_id == "WM-RACE-1")
        ).scalar_one()
    assert sold == 2


# ---- Douyin SPIs --------------------------------------------------------------------------------
class Captured:
    """One SPI call as Douyin sent it: its query, headers and raw body, to be re-sent at will."""

    def __init__(self, clock: FakeClock, body: dict[str, Any]) -> None:
        self.body = _dumps(body)
        self.query, headers = signed_spi_query(
            DOUYIN_KEY, DOUYIN_SECRET, self.body, int(clock.now.timestamp() * 1000)
        )
        self.headers = {**headers, **JSON}

    def send(self, http: TestClient, name: str, *, body: bytes | None = None, **query: str) -> Any:
        return http.post(
            f"/hooks/douyin/spi/{name}",
            params={**self.query, **query},
            content=self.body if body is None else body,
            headers=self.headers,
        )


def _issue(listing: str, order_id: str, clock: FakeClock) -> dict[str, Any]:
    start = int(clock.now.timestamp())
    return {
        "order_id": order_id,
        "count": 2,
        "sku": {"sku_id": "1780000000001", "third_sku_id": listing, "groupon_type": 2},
        "open_id": "_000forge",
        "start_time": start,
        "expire_time": start + 30 * 86400,
        "amount": {"original_amount": 3980, "pay_amount": 2000},
    }


def _apply(order_id: str, after_sale_id: str, codes: list[str]) -> dict[str, Any]:
    return {"order_id": order_id, "after_sale_id": after_sale_id, "codes": codes}


def _issued_codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["code"] for c in response.json()["data"]["certificates"]]


def test_a_signed_douyin_call_cannot_be_replayed_to_another_spi_or_edited(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "douyin")
    issue = Captured(clock, _issue(listing, "1090000000000088001", clock))
    codes = _issued_codes(issue.send(hooks, "issue"))
    for path in ("refund-apply", "refund-notice", "order-status"):
        _douyin_refused(issue.send(hooks, path))
    apply = Captured(clock, _apply("1090000000000088001", "7300000000000088001", codes))
    for path in ("issue", "refund-notice", "order-status"):
        _douyin_refused(apply.send(hooks, path))
    assert _statuses(container, codes) == ["issued", "issued"]

    edited = issue.body.replace(b'"count":2', b'"count":5')
    _douyin_refused(issue.send(hooks, "issue", body=edited))
    _douyin_refused(
        issue.send(hooks, "issue", timestamp=str(int(clock.now.timestamp() * 1000) + 1))
    )
    _douyin_refused(
        apply.send(hooks, "refund-apply", body=apply.body.replace(codes[0].encode(), b""))
    )
    clock.advance(seconds=301)
    _douyin_refused(apply.send(hooks, "refund-apply"))  # captured, held back: stale
    assert _statuses(container, codes) == ["issued", "issued"]


def test_a_douyin_issue_or_refund_acted_on_is_answered_again_never_acted_on_twice(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "douyin")
    issued_before = _audits(container, "codes.issue")
    issue = Captured(clock, _issue(listing, "1090000000000088002", clock))
    first = issue.send(hooks, "issue").json()
    assert issue.send(hooks, "issue").json() == first
    clock.advance(seconds=60)  # Douyin's own retry: re-signed, same order
    again = Captured(clock, _issue(listing, "1090000000000088002", clock))
    assert again.send(hooks, "issue").json() == first
    assert _audits(container, "codes.issue") == issued_before + 1

    codes = [c["code"] for c in first["data"]["certificates"]]
    refunds_before = _audits(container, "codes.refund")
    apply = Captured(clock, _apply("1090000000000088002", "7300000000000088002", codes[:1]))
    answer = apply.send(hooks, "refund-apply").json()
    assert (answer["data"]["result"], answer["data"]["voided"]) == (1, codes[:1])
    assert apply.send(hooks, "refund-apply").json() == answer
    assert _audits(container, "codes.refund") == refunds_before + 1
    assert _statuses(container, codes) == ["voided", "issued"]
