"""What one scan asks of the database, counted through HTTP, so that it cannot creep back.

Python per statement is most of what a redeem costs (issue #20), so the budget is exact: a
change that adds a statement to prepare or redeem of one of our codes fails here and has to
say why. Counted on the container's engine: every statement the driver runs
(`before_cursor_execute`, which on SQLite includes our BEGIN), every transaction begun, every
connection taken from the pool. PostgreSQL also sends COMMIT/ROLLBACK, which are not cursor
statements; there is no pre-ping any more.

Redeem of a merchant code (a micro-mall cash voucher: it has an outbox row) with an
Idempotency-Key: one transaction, one connection (on SQLite the event loop's kept one). On
SQLite (PostgreSQL: the same without the BEGIN line):
  BEGIN IMMEDIATE                the one transaction (SQLite's write lock up front)
  terminals                      the key checked afresh in it: revoked keys, inactive stores
                                 and merchants, deactivated cashiers are refused at once
  UPDATE orders ... RETURNING    the order's row lock, handing back the order and the
                                 code-guessing throttle's two counts (refusing first)
  order_lines                    the bill the discount is computed on
  codes+template+listing+binding+buyer+idempotency key   one joined query (ScanRepo.scan)
  redemptions of the order       stacking and per-order limits
  UPDATE codes                   the compare-and-set issued -> redeemed
                                 (a code with a buyer's openid, which the joined query says,
                                 adds the buyer and the merchant's template in one SELECT, then
                                 the message row and its outbox row: issue #17)
  INSERT redemptions, code_events, outbox
  audit: take a lane's head, INSERT audit_log, UPDATE the head's tail (PostgreSQL: the
                                 insert and the tail in one statement, a data-modifying WITH)
  INSERT idempotency_keys        the answer kept under the key
Before issue #20 it was 22 statements in 2 transactions on SQLite (20 on PostgreSQL, plus a
pre-ping per connection): a separate key check, the order read after its lock, the code, the
binding, the template and the listing one by one, the redemption read back after its insert.
Prepare: BEGIN, terminals, orders with the counts, order_lines, the joined code query and the
order's redemptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from tests.helpers import SEED_ORDER, open_order
from tests.writer_held import writer_lock_is_free
from voucherbridge.bootstrap import Container

# (statements, transactions, connection checkouts) per request. On SQLite the scans run on the
# event loop in the connection it keeps (db/uow.py KeptConnection): no checkout once it is open.
REDEEM = {"sqlite": (14, 1, 0), "postgresql": (12, 1, 1)}
PREPARE = {"sqlite": (6, 1, 0), "postgresql": (5, 1, 1)}
# A refused prepare of a used code: the scan, then its audit row in a write transaction
REFUSED_PREPARE = {"sqlite": (11, 2, 0), "postgresql": (8, 2, 2)}


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    checkouts: int = 0

    def totals(self) -> tuple[int, int, int]:
        return len(self.statements), self.transactions, self.checkouts


@contextmanager
def counted(container: Container) -> Iterator[Tally]:
    tally = Tally()
    engine = container.engine

    def on_statement(*args: Any) -> None:
        tally.statements.append(" ".join(str(args[2]).split()))

    def on_begin(*args: Any) -> None:
        tally.transactions += 1

    def on_checkout(*args: Any) -> None:
        tally.checkouts += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)
        event.remove(engine.pool, "checkout", on_checkout)


def test_redeem_and_prepare_of_a_merchant_code_stay_within_their_budget(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    backend = container.engine.dialect.name
    order = open_order(client, auth, **SEED_ORDER)
    body = {"code": demo["codes"]["cash"][0], "order_id": order["id"]}
    assert client.post("/api/v1/vouchers/prepare", json=body, headers=auth).status_code == 200
    with counted(container) as prepared:
        answer = client.post("/api/v1/vouchers/prepare", json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    assert prepared.totals() == PREPARE[backend], prepared.statements

    with counted(container) as redeemed:
        answer = client.post(
            "/api/v1/redemptions", json=body, headers={**auth, "Idempotency-Key": "budget-1"}
        )
    assert answer.status_code == 201, answer.text
    assert redeemed.totals() == REDEEM[backend], redeemed.statements
    # The guarantees are in those statements, in one transaction: the compare-and-set, the
    # outbox row, the audit row and the idempotency row.
    writes = [s for s in redeemed.statements if s.startswith(("UPDATE", "INSERT", "WITH"))]
    for table in ("codes", "redemptions", "outbox", "audit_log", "idempotency_keys"):
        assert any(f" {table} " in s for s in writes), (table, writes)


def test_a_replay_reads_its_answer_and_writes_nothing(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    order = open_order(client, auth, **SEED_ORDER)
    body = {"code": demo["codes"]["cash"][1], "order_id": order["id"]}
    headers = {**auth, "Idempotency-Key": "budget-2"}
    assert client.post("/api/v1/redemptions", json=body, headers=headers).status_code == 201
    with counted(container) as replayed:
        again = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert again.status_code == 200, again.text
    writes = [s for s in replayed.statements if s.startswith(("INSERT", "DELETE"))]
    assert writes == []


def test_refused_scans_give_their_transaction_back(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    """The key is checked in the scan's own transaction, opened before the use case runs: every
    way a scan can be refused must close it (on SQLite it holds the one writer's lock)."""
    order = open_order(client, auth, **SEED_ORDER)
    code = demo["codes"]["cash"][2]
    refusals = [
        ("/api/v1/redemptions", {"code": code, "order_id": order["id"], "count": 2}, 422),
        ("/api/v1/redemptions", {"code": "not a code \u0001", "order_id": order["id"]}, 404),
        ("/api/v1/redemptions", {"code": "ZZ" + code, "order_id": order["id"]}, 404),
        ("/api/v1/redemptions", {"code": code, "order_id": order["id"] + 999}, 404),
        ("/api/v1/vouchers/prepare", {"code": code, "order_id": order["id"] + 999}, 404),
    ]
    for url, body, status in refusals:
        answer = client.post(url, json=body, headers=auth)
        assert answer.status_code == status, (body, answer.text)
        assert nothing_held(container), body
    wrong_key = {"Authorization": "Bearer vbt_" + "0" * 40}
    body = {"code": code, "order_id": order["id"]}
    assert client.post("/api/v1/redemptions", json=body, headers=wrong_key).status_code == 401
    assert nothing_held(container)
    done = client.post("/api/v1/redemptions", json=body, headers=auth)
    assert done.status_code == 201, done.text
    assert nothing_held(container)


def nothing_held(container: Container) -> bool:
    """Every connection is back in the pool; on SQLite, where the loop keeps one, another
    process could take the write lock at once (the kept connection holds no transaction)."""
    out = container.engine.pool.checkedout()  # type: ignore[attr-defined]
    if container.engine.dialect.name != "sqlite":
        return bool(out == 0)
    return bool(out <= 1 and writer_lock_is_free(container))


def test_a_refused_scan_of_a_used_code_reads_it_once(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    """A code scanned again after its use (the commonest refusal at a till) is answered with
    where and when it was used, and audited as an attempt: the refusal reads the code once and
    the store once, then writes its audit row in a transaction of its own."""
    backend = container.engine.dialect.name
    code = demo["codes"]["cash"][3]
    first = open_order(client, auth, **SEED_ORDER)
    used = client.post(
        "/api/v1/redemptions", json={"code": code, "order_id": first["id"]}, headers=auth
    )
    assert used.status_code == 201, used.text
    again = {"code": code, "order_id": open_order(client, auth, **SEED_ORDER)["id"]}
    with counted(container) as refused:
        answer = client.post("/api/v1/vouchers/prepare", json=again, headers=auth)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "voucher_already_redeemed"
    assert answer.json()["error"]["message"].startswith("票券已使用 ("), answer.json()
    assert answer.json()["error"]["details"]["store"], answer.json()  # the store that used it
    assert refused.totals() == REFUSED_PREPARE[backend], refused.statements
    reads_of_codes = [
        s for s in refused.statements if s.startswith("SELECT") and " FROM codes" in s
    ]
    assert len(reads_of_codes) == 1, reads_of_codes
    assert any(s.startswith(("INSERT INTO audit_log", "WITH")) for s in refused.statements)
