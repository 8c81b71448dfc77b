"""SQLite: the event loop's units of work share one kept connection (issue #20) and each still
gets exactly what a unit of work promises: its own transaction, begun the way it asked (a
writer takes the write lock up front, a reader does not), nothing kept of one that did not
commit, and the writer's lock free the moment it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from tests.writer_held import other_process_write_held, writer_lock_is_free
from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.db.uow import KeptConnection, WriterBusy

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextmanager
def begins_and_checkouts(container: Container) -> Iterator[tuple[list[str], list[int]]]:
    begins: list[str] = []
    checkouts: list[int] = []

    def on_statement(*args: Any) -> None:
        if str(args[2]).startswith("BEGIN"):
            begins.append(str(args[2]))

    def on_checkout(*_args: Any) -> None:
        checkouts.append(1)

    event.listen(container.engine, "before_cursor_execute", on_statement)
    event.listen(container.engine.pool, "checkout", on_checkout)
    try:
        yield begins, checkouts
    finally:
        event.remove(container.engine, "before_cursor_execute", on_statement)
        event.remove(container.engine.pool, "checkout", on_checkout)


def a_merchant(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.scalars(select(t.merchants.c.id).order_by(t.merchants.c.id)).first())


def store_names(container: Container) -> list[str]:
    with container.engine.connect() as conn:
        return list(conn.scalars(select(t.stores.c.name).order_by(t.stores.c.id)))


def test_units_in_turn_share_one_connection_each_begun_as_it_asked(
    container: Container, demo: dict[str, Any]
):
    kept = KeptConnection(container.engine)
    make_uow = container.uow.not_waiting(kept)
    with begins_and_checkouts(container) as (begins, checkouts):
        for write in (True, False, True, False):
            with make_uow(write=write) as uow:
                assert writer_lock_is_free(container) is not write
                uow.commit()
            assert writer_lock_is_free(container)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE", "BEGIN"]
    assert len(checkouts) == 1  # the kept connection, once
    kept.close()


class Stores(Repository):
    def add(self, merchant_id: int, name: str) -> None:
        values = {"merchant_id": merchant_id, "name": name, "created_at": datetime.now(UTC)}
        self.conn.execute(insert(t.stores).values(values))


def test_a_unit_that_did_not_commit_leaves_nothing_for_the_next(
    container: Container, demo: dict[str, Any]
):
    kept = KeptConnection(container.engine)
    make_uow = container.uow.not_waiting(kept)
    before = store_names(container)
    merchant_id = a_merchant(container)

    def refused_mid_way() -> None:
        with make_uow(write=True) as uow:
            uow.repo(Stores).add(merchant_id, "临时门店")
            assert kept.take() is None  # the unit holds it
            with make_uow(write=False) as second:  # another unit meanwhile: one of its own
                assert second.repo(Stores).conn is not uow.repo(Stores).conn
            raise RuntimeError("refused mid-way")

    with pytest.raises(RuntimeError, match="refused mid-way"):
        refused_mid_way()
    assert store_names(container) == before
    assert writer_lock_is_free(container)
    with make_uow(write=True) as again:  # the kept connection again, in a fresh transaction
        again.repo(Stores).add(merchant_id, "新门店")
        again.commit()
    assert store_names(container) == [*before, "新门店"]
    kept.close()


def test_a_writer_refused_as_busy_leaves_the_connection_as_it_was(
    container: Container, demo: dict[str, Any]
):
    kept = KeptConnection(container.engine)
    with other_process_write_held(container), pytest.raises(WriterBusy):
        container.uow.not_waiting(kept)(write=True).__enter__()
    with container.uow.not_waiting(kept)(write=True) as uow:
        # the ordinary patience again for the writes after the first (no 0 left behind)
        assert uow.repo(Stores).conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000
        uow.repo(Stores).add(a_merchant(container), "忙后门店")
        uow.commit()
    assert "忙后门店" in store_names(container)
    assert writer_lock_is_free(container)
    kept.close()


def test_an_invalidated_connection_is_replaced(container: Container, demo: dict[str, Any]):
    kept = KeptConnection(container.engine)
    make_uow = container.uow.not_waiting(kept)
    with make_uow(write=False) as uow:
        first = uow.repo(Stores).conn
        first.invalidate()
    with make_uow(write=True) as uow:
        assert uow.repo(Stores).conn is not first
        uow.repo(Stores).add(a_merchant(container), "重连门店")
        uow.commit()
    assert "重连门店" in store_names(container)
    kept.close()
