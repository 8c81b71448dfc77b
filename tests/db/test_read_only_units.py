"""PostgreSQL keeps a connection's prepared statements across the transactions of a unit of
work: a read-only one is READ ONLY and ends with COMMIT, a rolled-back one rolls back through
libpq.

psycopg forgets every statement it prepared on a connection at each ROLLBACK (and sends
DEALLOCATE ALL). A prepare (验券准备) only reads, and used to end with ROLLBACK, so the scan's
statements were parsed and planned afresh at every request: measured with pg_stat_statements,
the terminal-key query was planned 8,475 times in 9,387 calls, the joined code query 2,061 in
2,973, 0.7 and 1.2 ms of the server's CPU a time (issue #20); a refused redeem did the same to
its connection. A read-only unit of work now ends with COMMIT, which is the same as ROLLBACK
for a transaction that wrote nothing; READ ONLY makes sure it wrote nothing: a write in it
fails instead of vanishing. A unit of work that rolls back still keeps nothing of its writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from tests.helpers import must_redeem, open_order, redeem
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository


class _Raw(Repository):
    """The unit of work's own connection, to try what a repository could do on it."""


def _postgresql_only(container: Container) -> None:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite prepares nothing server-side and has no READ ONLY transactions")


def _prepared_on_the_connection(container: Container) -> list[str]:
    # The tests' pool hands requests made one after another the same connection.
    with container.engine.connect() as conn:
        found = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        return [" ".join(sql.split()) for sql in found]


def test_a_read_only_unit_refuses_a_write_and_keeps_nothing_of_it(container: Container):
    _postgresql_only(container)
    with container.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.items)).scalar()
    with container.uow() as uow, pytest.raises(DBAPIError, match="read-only transaction"):
        uow.repo(_Raw).conn.execute(t.items.delete())
    with container.uow(write=True) as uow:  # the pooled connection is writable again
        assert uow.repo(_Raw).conn.execute(text("SHOW transaction_read_only")).scalar() == "off"
        assert uow.repo(_Raw).conn.execute(select(func.count()).select_from(t.items)).scalar() == (
            before
        )


def test_the_scan_statements_stay_prepared_across_prepares_through_http(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    _postgresql_only(container)
    dish = {"item_code": "DISH01", "name": "鱼香肉丝", "quantity": 1, "unit_price_fen": 3800}
    order = open_order(client, auth, [dish], table="A1", guests=2)
    body = {"code": demo["codes"]["item"][0], "order_id": order["id"]}
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        answer = client.post("/api/v1/vouchers/prepare", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["discount_fen"] == 3800  # 鱼香肉丝 at its catalogue price
    prepared = _prepared_on_the_connection(container)
    assert any(
        sql.startswith("SELECT terminals.id") and "terminals.key_hash = $1" in sql
        for sql in prepared
    ), prepared
    assert any(sql.startswith("SELECT codes.id AS c_id") for sql in prepared), prepared


def test_a_refused_redeem_keeps_nothing_and_the_statements_stay_prepared(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    _postgresql_only(container)
    dish = {"item_code": "DISH01", "name": "鱼香肉丝", "quantity": 1, "unit_price_fen": 3800}
    order = open_order(client, auth, [dish], table="A2", guests=2)
    code = demo["codes"]["item"][0]
    assert must_redeem(client, auth, code, order["id"])["discount_fen"] == 3800
    other = open_order(client, auth, [dish], table="A3", guests=2)
    for _ in range(8):  # the same code on another bill: refused every time, after its lock
        again = redeem(client, auth, code, other["id"])
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "voucher_already_redeemed"
    shown = client.get(f"/api/v1/orders/{order['id']}", headers=auth).json()
    assert (shown["discount_fen"], shown["due_fen"]) == (3800, 0)
    untouched = client.get(f"/api/v1/orders/{other['id']}", headers=auth).json()
    assert (untouched["discount_fen"], untouched["due_fen"]) == (0, 3800)
    prepared = _prepared_on_the_connection(container)
    assert any(sql.startswith("SELECT codes.id AS c_id") for sql in prepared), prepared
    assert any(sql.startswith("UPDATE orders SET version") for sql in prepared), prepared


def test_a_unit_of_work_that_rolls_back_keeps_none_of_its_writes(container: Container):
    _postgresql_only(container)
    with container.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.merchants)).scalar()

    def refused_after_writing() -> None:
        with container.uow(write=True) as uow:
            uow.repo(_Raw).conn.execute(
                t.merchants.insert().values(name="回滚商户", created_at=datetime.now(UTC))
            )
            raise RuntimeError("the use case refuses after writing")

    with pytest.raises(RuntimeError):
        refused_after_writing()
    with container.uow(write=True) as uow:
        uow.repo(_Raw).conn.execute(
            t.merchants.insert().values(name="另一商户", created_at=datetime.now(UTC))
        )
        uow.rollback()
    with container.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.merchants)).scalar() == before


@pytest.mark.parametrize("write", [False, True])
def test_a_unit_whose_connection_the_server_dropped_fails_once(container: Container, write: bool):
    _postgresql_only(container)

    def dropped_mid_transaction() -> None:
        with container.uow(write=write) as uow:
            conn = uow.repo(_Raw).conn
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with container.engine.connect() as other:
                other.execute(text(f"SELECT pg_terminate_backend({int(backend)})"))
            conn.execute(select(func.count()).select_from(t.merchants))

    with pytest.raises(OperationalError) as failed:
        dropped_mid_transaction()
    assert failed.value.connection_invalidated
    with container.uow(write=write) as uow:  # the pool hands out a working connection
        assert uow.repo(_Raw).conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_unit_that_ran_nothing_ends_quietly(container: Container):
    _postgresql_only(container)

    def refused_before_any_statement() -> None:
        with container.uow(write=True):
            raise LookupError("refused before reading anything")

    with pytest.raises(LookupError):
        refused_before_any_statement()
    with container.uow(write=True) as uow:
        conn = uow.repo(_Raw).conn
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "off"
