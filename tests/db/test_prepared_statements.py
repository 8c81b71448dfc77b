"""Hot statements run on the driver's cursor (db/driver.py) answer what SQLAlchemy answers.

A redeem's statements skip SQLAlchemy's execution path (issue #20). What a cashier, a report or
an audit sees must not change with it: the same rows, the same names, the same Python values
(aware UTC times, booleans, JSON), the same errors, and nothing half-written after one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.helpers import SEED_ORDER, open_order
from voucherbridge.bootstrap import Container
from voucherbridge.chain.auth import hash_secret
from voucherbridge.counter import scan_repository
from voucherbridge.db import statements as st
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository


def _redeemed(client: Any, auth: dict[str, str], demo: dict[str, Any]) -> dict[str, Any]:
    order = open_order(client, auth, **SEED_ORDER)
    body = {"code": demo["codes"]["cash"][0], "order_id": order["id"]}
    headers = {**auth, "Idempotency-Key": "prepared-1"}
    answer = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"order": order, "redemption": answer.json()}


def _both_ways(container: Container, prepared: Prepared, params: dict[str, Any]) -> list[Any]:
    with container.engine.connect() as conn:
        driven = prepared.run(conn, params).rows
        expected = conn.execute(prepared.statement, params)
        names, rows = tuple(expected.keys()), [tuple(r) for r in expected]
    assert [tuple(r) for r in driven] == rows
    assert rows, "the comparison needs rows"
    assert all(r._fields == names for r in driven)
    return driven


def test_the_scan_statements_read_what_sqlalchemy_reads(
    client: Any, auth: dict[str, str], demo: dict[str, Any], container: Container
):
    done = _redeemed(client, auth, demo)
    order_id = done["order"]["id"]
    key_hash = hash_secret(demo["terminal_key"])

    [terminal] = _both_ways(container, st.TERMINAL_BY_KEY, {"key_hash": key_hash})
    assert isinstance(terminal.created_at, datetime)
    assert terminal.created_at.tzinfo == UTC
    assert terminal.revoked_at is None
    lines = _both_ways(container, st.ORDER_LINES, {"order_id": order_id})
    assert [line.line_no for line in lines] == sorted(line.line_no for line in lines)

    [redemption] = _both_ways(container, st.ACTIVE_REDEMPTIONS_OF_ORDER, {"order_id": order_id})
    assert redemption.discount_fen == done["redemption"]["discount_fen"]
    assert isinstance(redemption.allocations, dict)  # JSON, read back as a dict
    assert redemption.stackable in (True, False)
    assert type(redemption.stackable) is bool
    assert redemption.redeemed_at.tzinfo == UTC

    scanned = {
        "b_code": demo["codes"]["cash"][0],
        "b_merchant": terminal.merchant_id,
        "b_store": terminal.store_id,
        "b_terminal": terminal.id,
        "b_key": "prepared-1",
    }
    [row] = _both_ways(container, scan_repository._SCAN, scanned)
    assert row.c_status == "redeemed"
    assert row.k_response is not None
    assert type(row.bound) is bool
    assert type(row.buyer) is bool


def _store(container: Container, name: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        merchant_id = conn.execute(select(func.min(t.merchants.c.id))).scalar_one()
    return {"merchant_id": merchant_id, "name": name, "created_at": datetime.now(UTC)}


def test_an_insert_fills_the_python_defaults_and_answers_its_id(
    container: Container, demo: dict[str, Any]
):
    with container.engine.connect() as conn:
        store_id = Repository(conn)._insert(t.stores, _store(container, "预编译店"))
        conn.commit()
    with container.engine.connect() as conn:
        store = conn.execute(select(t.stores).where(t.stores.c.id == store_id)).one()
    assert (store.name, store.brand, store.address, store.active) == ("预编译店", "", "", True)


def test_a_refused_write_raises_sqlalchemys_error_and_leaves_nothing(
    container: Container, demo: dict[str, Any]
):
    row = _store(container, "重复店")
    count = select(func.count()).select_from(t.stores).where(t.stores.c.name == "重复店")
    with container.engine.connect() as conn:
        Repository(conn)._insert(t.stores, row)
        with pytest.raises(IntegrityError):
            Repository(conn)._insert(t.stores, row)  # the same store name again
    with container.engine.connect() as conn:
        assert conn.execute(count).scalar_one() == 0  # the first insert went with the rollback


def test_what_it_cannot_run_the_same_way_is_refused_when_first_compiled(container: Container):
    in_list = Prepared(
        select(t.stores.c.id).where(t.stores.c.id.in_(bindparam("ids", expanding=True)))
    )
    with container.engine.connect() as conn, pytest.raises(ValueError, match="plain named"):
        in_list.run(conn, {"ids": [1, 2]})


def test_a_connection_the_server_dropped_fails_once_and_the_next_one_works(
    container: Container, demo: dict[str, Any]
):
    if container.engine.dialect.name != "postgresql":
        pytest.skip("a server that drops connections is PostgreSQL's (SQLite is a file)")
    key = {"key_hash": hash_secret(demo["terminal_key"])}
    with container.engine.connect() as conn:
        st.TERMINAL_BY_KEY.run(conn, key)
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with container.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
        with pytest.raises(OperationalError) as failed:
            st.TERMINAL_BY_KEY.run(conn, key)
        assert failed.value.connection_invalidated
    with container.engine.connect() as conn:
        assert st.TERMINAL_BY_KEY.run(conn, key).first() is not None
