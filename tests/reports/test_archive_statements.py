"""What one page of the archive and of the lists asks of the database, so that it cannot creep
back (issue #16: an archive page ran seven statements, 5.8x its bare SQL).

An archive page for HQ is one statement (SQLite also counts our BEGIN): the codes with their
listing's title, the store of their standing redemption, the merchant's zone and each code's
history written in SQL. The history needs the zone before the statement runs: the page keeps
the zone the last page came with and checks it against the zone it reads; the first page of a
process (or one read under a zone that changed) writes the histories from the events in one
more statement. A manager's page, or one with a date filter, reads the zone and the scope in
one statement first. Both ways of writing a history give the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select

from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.db import tables as t
from voucherbridge.reports import archive
from voucherbridge.reports.archive import CodeFilter, codes_page
from voucherbridge.reports.archive_repository import ArchiveRepo
from voucherbridge.reports.lists import (
    OrderFilter,
    RedemptionFilter,
    orders_page,
    redemptions_page,
)
from voucherbridge.reports.paging import zone_named


@contextmanager
def counted(container: Container) -> Iterator[list[str]]:
    """Every statement the driver runs (on SQLite that includes our BEGIN)."""
    seen: list[str] = []

    def on_statement(*args: Any) -> None:
        seen.append(str(args[2]).split("\n")[0][:80])

    event.listen(container.engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(container.engine, "before_cursor_execute", on_statement)


def _without_begin(seen: list[str]) -> list[str]:
    return [s for s in seen if s != "BEGIN"]


def _merchant_id(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(t.merchants.c.id).order_by(t.merchants.c.id)).scalar_one())


@pytest.fixture
def hq(container: Container, world: dict[str, Any]) -> Actor:
    return Actor.operator(_merchant_id(container))


def test_an_archive_page_is_one_statement(
    container: Container, hq: Actor, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(archive, "_ZONE_SEEN", {})

    def page() -> Any:
        return codes_page(container.uow(), actor=hq, filters=CodeFilter(), cursor=None, limit=3)

    with counted(container) as first:
        before = page()
    assert len(_without_begin(first)) == 2, first  # the page, then its codes' events
    with counted(container) as seen:
        again = page()
    assert len(_without_begin(seen)) == 1, seen
    assert again == before  # histories written in SQL read as those written here
    assert again.next_cursor is not None
    with counted(container) as deeper:
        codes_page(
            container.uow(), actor=hq, filters=CodeFilter(), cursor=again.next_cursor, limit=3
        )
    assert len(_without_begin(deeper)) == 1, deeper


def test_filtered_and_managers_pages_read_the_zone_and_scope_in_one_statement(
    container: Container, hq: Actor, world: dict[str, Any]
):
    dated = CodeFilter(date_from=date(2027, 3, 1), date_to=date(2027, 3, 2), status="issued")
    with counted(container) as seen:
        page = codes_page(container.uow(), actor=hq, filters=dated, cursor=None, limit=50)
    assert page.report.rows
    assert len(_without_begin(seen)) == 2, seen  # the zone, then the page
    manager = Actor(1, hq.merchant_id, "m", "store_manager", frozenset({world["stores"]["皇岗店"]}))
    with counted(container) as seen:
        mine = codes_page(
            container.uow(), actor=manager, filters=CodeFilter(), cursor=None, limit=50
        )
    assert {r["code"] for r in mine.report.rows} >= {world["codes"][0], world["mt_code"]}
    assert len(_without_begin(seen)) == 2, seen  # the zone with the scope, then the page


def test_orders_and_redemptions_pages_are_one_statement(
    container: Container, hq: Actor, world: dict[str, Any]
):
    for query, filters in (
        (orders_page, OrderFilter()),
        (redemptions_page, RedemptionFilter(status="active")),
    ):
        with counted(container) as seen:
            page = query(container.uow(), actor=hq, filters=filters, cursor=None, limit=2)
        assert page.report.rows
        assert all(row["store"] and row["terminal"] for row in page.report.rows), page
        assert len(_without_begin(seen)) == 1, (query, seen)
    with counted(container) as seen:
        day2 = RedemptionFilter(date_from=date(2027, 3, 2), date_to=date(2027, 3, 2))
        page = redemptions_page(container.uow(), actor=hq, filters=day2, cursor=None, limit=5)
    assert [r["code"] for r in page.report.rows] == [world["codes"][2]]
    assert len(_without_begin(seen)) == 2, seen  # the zone for the dates, then the page


def test_histories_written_in_sql_are_those_written_from_the_events(
    container: Container, hq: Actor, world: dict[str, Any]
):
    """Every code of the world, both ways: in the merchant's zone, oldest event first, each
    with its store's name; a code used and reversed reads 发券; 核销 <store>; 撤销 <store>."""
    codes_page(container.uow(), actor=hq, filters=CodeFilter(), cursor=None, limit=1)
    page = codes_page(container.uow(), actor=hq, filters=CodeFilter(), cursor=None, limit=500)
    rows = {int(str(r["id"])): r for r in page.report.rows}
    with container.uow() as uow:
        events = uow.repo(ArchiveRepo).events(hq.merchant_id, list(rows))
    written = archive.histories(events, zone_named("Asia/Shanghai"))
    assert {i: r["history"] for i, r in rows.items()} == {i: written.get(i, "") for i in rows}
    [used_and_back] = [r for r in rows.values() if r["code"] == world["codes"][2]]
    steps = [part.split(" ", 2)[2] for part in str(used_and_back["history"]).split("; ")]
    assert steps == ["发券", "核销 皇岗店", "撤销 皇岗店"]
    assert str(used_and_back["history"]).startswith("2027-03-01 11:00 发券")
