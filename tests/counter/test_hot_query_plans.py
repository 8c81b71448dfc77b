"""Every read and every update that a prepare, a redeem and a purchase push run goes through an
index (SQLite's own query plans): a statement that reads a whole table gets slower with every
code sold, which no statement count notices (issue #20: the buyer lookup's `ORDER BY id` walked
the merchant's codes; a callback's binding was found by reading every binding).

An INSERT's plan lists the foreign-key lookups SQLite would make in the child tables; it makes
them only while a deferred violation is outstanding, which ours never are, so inserts are not
checked here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.factories import FakeClock
from tests.helpers import SEED_ORDER, open_order
from tests.platforms.test_inbound_hooks import _listing, _mall_ok, _push
from tests.platforms.test_purchase_statement_budget import _purchase
from voucherbridge.bootstrap import Container


@contextmanager
def captured(container: Container) -> Iterator[list[tuple[str, Any]]]:
    found: list[tuple[str, Any]] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        found.append((statement, params))

    event.listen(container.engine, "before_cursor_execute", on_statement)
    try:
        yield found
    finally:
        event.remove(container.engine, "before_cursor_execute", on_statement)


def _whole_table_reads(container: Container, statements: list[tuple[str, Any]]) -> list[str]:
    raw = container.engine.raw_connection()
    try:
        cursor = raw.cursor()
        found = []
        for sql, params in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                continue
            for row in cursor.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall():
                step = str(row[-1])
                if step.startswith("SCAN ") and "CONSTANT ROW" not in step:
                    found.append(f"{step} <- {' '.join(sql.split())[:160]}")
        return found
    finally:
        raw.close()


def test_the_hot_paths_read_and_update_only_through_indexes(
    app: Any,
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    clock: FakeClock,
) -> None:
    if container.engine.dialect.name != "sqlite":
        pytest.skip("the plans checked are SQLite's (PostgreSQL plans by its statistics)")
    order = open_order(client, auth, **SEED_ORDER)
    body = {"code": demo["codes"]["cash"][0], "order_id": order["id"]}
    with TestClient(app) as hooks:
        listing = _listing(hooks, demo, "weimall")
        with captured(container) as statements:
            prepared = client.post("/api/v1/vouchers/prepare", json=body, headers=auth)
            redeemed = client.post(
                "/api/v1/redemptions", json=body, headers={**auth, "Idempotency-Key": "plan-1"}
            )
            bought = _push(
                hooks,
                clock,
                "VOUCHER_PURCHASED",
                _purchase(listing, "WM-PLAN-1", 2, clock.now.isoformat()),
            )
    assert prepared.status_code == 200, prepared.text
    assert redeemed.status_code == 201, redeemed.text
    assert len(_mall_ok(bought)["codes"]) == 2
    assert len(statements) > 25
    assert _whole_table_reads(container, statements) == []
