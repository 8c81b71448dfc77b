"""What one signed purchase push of the micro-mall asks of the database (issue #20's flash
sale), counted through HTTP so that it cannot creep back.

A purchase of N codes, on SQLite (PostgreSQL: the same without the two BEGIN lines, and the
audit row and its tail in one statement):
  BEGIN; bindings                the binding behind the push's store (its secret, checked
                                 before anything is parsed), in a read transaction of its own
  BEGIN IMMEDIATE                the purchase's one transaction
  inbound_messages: SELECT, INSERT   the message's claim (a replay gets the first answer)
  listings, voucher_templates    the listing and its template (read once, not twice)
  code_orders                    the order's replay check
  merchants                      the merchant's zone (validity ends at its midnight)
  INSERT code_orders
  codes                          all N drawn values checked for clashes together
  INSERT codes, INSERT code_events   all N codes and their `issued` events, one each
  audit: take a lane's head, INSERT audit_log, UPDATE the head's tail (PostgreSQL: one WITH)
  notification_templates         the merchant's 码已发放 template (the buyer's openid, the codes,
                                 their face value and end come from the purchase itself); with
                                 one set, the messages and their outbox rows: 2 more, any N
  UPDATE inbound_messages        the answer kept for replays
Before (issue #20's flash sale at 0.03 of the raw insert rate) it was 16 + 3 per code: each
value checked, each code and each event inserted on its own, the template read twice; and the
buyer's messages cost a joined read-back of the codes just written plus 2 per code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.counter.test_statement_budget import counted
from tests.factories import FakeClock
from tests.platforms.test_inbound_hooks import _listing, _mall_ok, _push
from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.db import tables as t
from voucherbridge.demo.notifications import TEMPLATES
from voucherbridge.notifications.settings import save_event_template


@pytest.fixture
def hooks(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as http:
        yield http


def _purchase(listing: str, order_no: str, quantity: int, now: str) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "coupon_id": listing,
        "title": "60代100元票券抢购",
        "quantity": quantity,
        "unit_price_fen": 6000,
        "buyer": {"openid": f"o-{order_no}", "mobile_masked": "138****0000"},
        "paid_at": now,
    }


# (statements, transactions, connection checkouts) per purchase push, whatever its quantity. On
# SQLite a push runs on the event loop in the connection it keeps (db/uow.py KeptConnection),
# taken from the pool by the loop's first piece of work (the PING below): none per push.
PURCHASE = {"sqlite": (18, 2, 0), "postgresql": (15, 2, 2)}
# The same with the merchant's 码已发放 template set: the buyer's messages and their outbox rows,
# two statements for any number of codes (the template read replaces the buyer lookup).
PURCHASE_TOLD = {"sqlite": (20, 2, 0), "postgresql": (17, 2, 2)}


def _ping(hooks: TestClient, clock: FakeClock) -> None:
    assert _mall_ok(_push(hooks, clock, "PING", {})) == {}


def test_a_purchase_costs_the_same_statements_for_one_code_or_three(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "weimall")
    _ping(hooks, clock)
    now = clock.now.isoformat()
    tallies = {}
    for quantity in (1, 3):
        with counted(container) as tally:
            codes = _mall_ok(
                _push(
                    hooks,
                    clock,
                    "VOUCHER_PURCHASED",
                    _purchase(listing, f"WM-B-{quantity}", quantity, now),
                )
            )["codes"]
        assert len(codes) == quantity
        tallies[quantity] = tally
    backend = container.engine.dialect.name
    assert tallies[1].totals() == PURCHASE[backend], tallies[1].statements
    assert tallies[3].totals() == PURCHASE[backend], tallies[3].statements


def tell_buyers_of_purchases(container: Container, listing: str, clock: FakeClock) -> None:
    """The listing's merchant sets the demo's 码已发放 template."""
    with container.engine.connect() as db:
        merchant_id = db.execute(
            select(t.listings.c.merchant_id).where(t.listings.c.public_id == listing)
        ).scalar_one()
    template_id, _title, keys = TEMPLATES["issued"]
    save_event_template(
        container.uow(write=True),
        actor=Actor.operator(merchant_id),
        event="issued",
        template_id=template_id,
        fields={k: v for k, _label, v in keys},
        now=clock.now,
    )


def test_the_buyer_is_told_of_one_code_or_three_in_the_same_statements(
    hooks: TestClient, demo: dict[str, Any], clock: FakeClock, container: Container
) -> None:
    listing = _listing(hooks, demo, "weimall")
    tell_buyers_of_purchases(container, listing, clock)
    _ping(hooks, clock)
    tallies, bought = {}, {}
    for quantity in (1, 3):
        purchase = _purchase(listing, f"WM-T-{quantity}", quantity, clock.now.isoformat())
        with counted(container) as tally:
            bought[quantity] = _mall_ok(_push(hooks, clock, "VOUCHER_PURCHASED", purchase))["codes"]
        tallies[quantity] = tally
    backend = container.engine.dialect.name
    assert tallies[1].totals() == PURCHASE_TOLD[backend], tallies[1].statements
    assert tallies[3].totals() == PURCHASE_TOLD[backend], tallies[3].statements
    with container.engine.connect() as db:
        queued = db.execute(
            select(t.outbox.c.payload).where(t.outbox.c.topic == "notify.issued")
        ).scalars()
        told = {p["code"]: p for p in queued}
        ends = {
            r.code: r.valid_until
            for r in db.execute(
                select(t.codes.c.code, t.codes.c.valid_until).where(t.codes.c.code.in_(told))
            )
        }
    assert sorted(told) == sorted(bought[1] + bought[3])
    for quantity, codes in bought.items():  # what the buyer reads: the voucher, its value, its end
        for code in codes:
            assert told[code]["openid"] == f"o-WM-T-{quantity}"
            assert (told[code]["item_name"], told[code]["amount_fen"]) == ("100元代金券", 10000)
            assert told[code]["valid_until"] == ends[code].isoformat()
            assert told[code]["timezone"] == "Asia/Shanghai"


def test_a_drawn_value_some_code_has_or_drawn_twice_is_drawn_again(
    hooks: TestClient,
    demo: dict[str, Any],
    clock: FakeClock,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch keeps what the one-by-one loop promised: the codes of an order are distinct
    and never another code's value (the unique index would refuse the whole order)."""
    listing = _listing(hooks, demo, "weimall")
    taken = demo["codes"]["cash"][0]
    drawn = iter([taken, "J100000000001", "J100000000001", "J100000000002", "J100000000003"])
    monkeypatch.setattr(
        "voucherbridge.catalogue.issuing.generate_merchant_code", lambda _platform: next(drawn)
    )
    purchase = _purchase(listing, "WM-CLASH-1", 3, clock.now.isoformat())
    codes = _mall_ok(_push(hooks, clock, "VOUCHER_PURCHASED", purchase))["codes"]
    assert codes == ["J100000000001", "J100000000002", "J100000000003"]
    with container.engine.connect() as db:
        orders = db.execute(
            select(t.codes.c.code_order_id).where(t.codes.c.code.in_([taken, *codes]))
        ).all()
    assert len({o.code_order_id for o in orders}) == 2  # the taken code kept its own order
    assert len(orders) == 4
