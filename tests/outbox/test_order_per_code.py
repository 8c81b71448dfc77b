"""Order per code in the outbox: a later message of a code waits, unclaimed and uncounted, until
the earlier one is delivered or dead; batches and concurrent workers (PostgreSQL) keep the order;
a row skipped behind a dead one comes back when a person retries that one; the migration keys
the rows already queued. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import FakeClock, redeem_demo_cash
from voucherbridge.audit.repository import AuditRepo
from voucherbridge.bootstrap import Container, build
from voucherbridge.chain.auth import resolve_terminal
from voucherbridge.core.actor import Actor
from voucherbridge.counter import reversal
from voucherbridge.db import tables as t
from voucherbridge.db.engine import make_engine
from voucherbridge.db.migrate import alembic_config
from voucherbridge.domain.records import OutboxMessage, OutboxRow
from voucherbridge.outbox.repository import OutboxRepo
from voucherbridge.outbox.service import (
    DeliveryFailed,
    NothingToDeliver,
    deliver_due,
    list_outbox,
    retry_dead,
)

HQ = Actor(1, 1, "admin", "hq_admin", None)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
MALL = "platform:weimall"


class Mall:
    """Stands in for the micro-mall: fails while `down`; like the real one, it answers a
    reversal of a use it never received with a permanent "not found"."""

    def __init__(self, *, down: bool = False, delay_s: float = 0.0) -> None:
        self.down, self.delay_s = down, delay_s
        self.calls: list[tuple[str, str, str]] = []  # (code, topic, redemption id) as received
        self.used: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, row: OutboxRow) -> None:
        if self.down:
            raise DeliveryFailed("HTTP 503 from platform")
        time.sleep(self.delay_s)
        rid = str(row.payload["redemption_id"])
        with self.lock:
            if row.topic == "code.reversed":
                if rid not in self.used:
                    raise DeliveryFailed("voucher_not_found: redemption", permanent=True)
                self.used.discard(rid)
            else:
                self.used.add(rid)
            self.calls.append((str(row.payload["code"]), row.topic, rid))


def _reverse(container: Container, demo: dict[str, Any], redemption_id: str) -> str:
    terminal = resolve_terminal(container.uow(), demo["terminal_key"])
    view = reversal.reverse_redemption(
        container.uow(write=True),
        terminal=terminal,
        redemption_id=redemption_id,
        reason="客人取消",
        now=container.clock(),
    )
    return view.status


def _rows(container: Container) -> dict[str, OutboxRow]:
    """The merchant's outbox rows by dedupe key ("{redemption id}:{event}")."""
    with container.uow() as uow:
        return {r.dedupe_key: r for r in uow.repo(OutboxRepo).list(1, None, 500)}


def test_a_reversal_due_first_waits_for_its_use_and_then_follows_it(
    container: Container, demo: dict[str, Any], clock: FakeClock
):
    mall = Mall(down=True)
    table = {MALL: mall}
    rid = redeem_demo_cash(container, demo)
    for wait_s in (5, 10, 20):  # the mall is down: the use backs off further each time
        assert deliver_due(container.uow, table, clock).retried == 1
        clock.advance(seconds=wait_s)
    assert deliver_due(container.uow, table, clock).retried == 1  # 4th attempt: next in 20-40 s
    assert _reverse(container, demo, rid) == "reversed"
    mall.down = False

    # The reversal is due now and the use is not: the reversal is not even claimed.
    early = deliver_due(container.uow, table, clock)
    assert (early.delivered, early.retried, early.dead, early.waiting) == (0, 0, 0, 0)
    waiting = _rows(container)[f"{rid}:reversed"]
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 0, None)

    clock.advance(seconds=40)
    assert deliver_due(container.uow, table, clock).delivered == 1  # the use alone
    assert deliver_due(container.uow, table, clock).delivered == 1  # then its reversal
    assert [(topic, r) for _, topic, r in mall.calls] == [
        ("code.redeemed", rid),
        ("code.reversed", rid),
    ]
    assert mall.used == set()  # the mall shows the code unused, as we do
    rows = _rows(container)
    assert (rows[f"{rid}:redeemed"].attempts, rows[f"{rid}:reversed"].attempts) == (5, 1)
    assert list_outbox(container.uow, actor=HQ, status=None).counts == {"delivered": 2}


def test_a_batch_takes_only_the_first_row_of_a_code_and_a_lost_lease_keeps_the_order(
    container: Container, demo: dict[str, Any], clock: FakeClock
):
    first = redeem_demo_cash(container, demo, 0)
    _reverse(container, demo, first)
    other = redeem_demo_cash(container, demo, 1)
    with container.uow(write=True) as uow:
        claimed = uow.repo(OutboxRepo).claim(clock(), 10, clock() + timedelta(minutes=2))
        uow.commit()
    assert [r.dedupe_key for r in claimed] == [f"{first}:redeemed", f"{other}:redeemed"]
    # ...and that worker dies. Until its lease runs out nobody takes the code's next row.
    with container.uow(write=True) as uow:
        assert uow.repo(OutboxRepo).claim(clock(), 10, clock() + timedelta(minutes=2)) == []
        uow.commit()

    mall = Mall()
    clock.advance(minutes=3)
    assert deliver_due(container.uow, {MALL: mall}, clock).delivered == 2
    assert deliver_due(container.uow, {MALL: mall}, clock).delivered == 1
    assert [(c[1], c[2]) for c in mall.calls] == [
        ("code.redeemed", first),
        ("code.redeemed", other),
        ("code.reversed", first),
    ]
    assert _rows(container)[f"{first}:reversed"].attempts == 1


def test_a_message_told_to_wait_is_given_back_uncounted_and_without_its_lease(
    container: Container, demo: dict[str, Any], clock: FakeClock
):
    rid = redeem_demo_cash(container, demo)

    def busy(row: OutboxRow) -> None:
        raise DeliveryFailed("waiting for the use of this code", wait=True)

    report = deliver_due(container.uow, {MALL: busy}, clock)
    assert (report.waiting, report.retried, report.dead, report.errors) == (1, 0, 0, [])
    with container.uow() as uow:
        row = uow.repo(OutboxRepo).get(1, _rows(container)[f"{rid}:redeemed"].id)
        repo = uow.repo(OutboxRepo)
        locked = repo.conn.execute(text("SELECT locked_until FROM outbox")).scalar_one()
    assert row is not None
    assert (row.status, row.attempts, locked) == ("pending", 0, None)
    assert row.next_attempt_at <= clock()  # no backoff: it goes as soon as it may


def _refuse_use_then_skip_reversal(row: OutboxRow) -> None:
    if row.topic == "code.redeemed":
        raise DeliveryFailed("voucher_not_found: {'code': ...}", permanent=True)
    raise NothingToDeliver("无需同步: 平台上该券码未被核销")


def test_a_row_skipped_behind_a_dead_one_is_shown_and_comes_back_when_that_one_is_retried(
    container: Container, demo: dict[str, Any], clock: FakeClock
):
    rid = redeem_demo_cash(container, demo)
    _reverse(container, demo, rid)
    table = {MALL: _refuse_use_then_skip_reversal}
    assert deliver_due(container.uow, table, clock).dead == 1
    assert deliver_due(container.uow, table, clock).skipped == 1
    listing = list_outbox(container.uow, actor=HQ, status=None)
    assert listing.counts == {"dead": 1, "skipped": 1}
    [skipped] = [r for r in listing.rows if r.status == "skipped"]
    assert skipped.last_error == "无需同步: 平台上该券码未被核销"
    assert skipped.delivered_at is None  # nothing was sent

    rows = _rows(container)
    retry_dead(container.uow, actor=HQ, outbox_id=rows[f"{rid}:redeemed"].id, now=clock())
    back = _rows(container)[f"{rid}:reversed"]
    assert (back.status, back.attempts, back.last_error) == ("pending", 0, None)
    with container.uow() as uow:
        [audit] = uow.repo(AuditRepo).page(
            1, store_ids=None, action="outbox.retry", before_id=None, limit=5
        )
    assert audit["after"] == {"status": "pending", "requeued": [back.id]}

    mall = Mall()
    assert deliver_due(container.uow, {MALL: mall}, clock).delivered == 1
    assert deliver_due(container.uow, {MALL: mall}, clock).delivered == 1
    assert [c[1] for c in mall.calls] == ["code.redeemed", "code.reversed"]
    assert list_outbox(container.uow, actor=HQ, status=None).counts == {"delivered": 2}


def test_a_skip_decided_while_a_person_retries_the_earlier_row_waits_instead(
    container: Container, demo: dict[str, Any], clock: FakeClock
):
    rid = redeem_demo_cash(container, demo)
    _reverse(container, demo, rid)
    assert deliver_due(container.uow, {MALL: _refuse_use_then_skip_reversal}, clock).dead == 1
    use_id = _rows(container)[f"{rid}:redeemed"].id

    def retried_meanwhile(row: OutboxRow) -> None:
        retry_dead(container.uow, actor=HQ, outbox_id=use_id, now=clock())
        raise NothingToDeliver("无需同步")

    report = deliver_due(container.uow, {MALL: retried_meanwhile}, clock)
    assert (report.skipped, report.waiting) == (0, 1)
    rows = _rows(container)
    assert (rows[f"{rid}:reversed"].status, rows[f"{rid}:reversed"].attempts) == ("pending", 0)
    mall = Mall()
    deliver_due(container.uow, {MALL: mall}, clock)
    deliver_due(container.uow, {MALL: mall}, clock)
    assert [c[1] for c in mall.calls] == ["code.redeemed", "code.reversed"]


CODES, EVENTS = 40, ("redeemed", "reversed", "redeemed", "reversed")


def test_two_workers_claiming_batches_at_once_keep_each_codes_order(
    database_url: str, container: Container, demo: dict[str, Any]
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL only (SQLite: one worker)")
    now = container.clock()
    with container.uow(write=True) as uow:
        for n in range(CODES):  # a code's rows side by side, so one batch could hold them all
            for i, event in enumerate(EVENTS):
                rid = f"rdm_{n}_{i // 2}"
                uow.repo(OutboxRepo).add(
                    OutboxMessage(
                        1,
                        f"code.{event}",
                        MALL,
                        f"{rid}:{event}",
                        {"redemption_id": rid, "code": f"JORDER{n:04d}"},
                    ),
                    now,
                )
        uow.commit()
    mall = Mall(delay_s=0.002)
    workers = [build(container.settings) for _ in range(2)]  # two engines, as two processes
    start = threading.Barrier(2)
    delivered, failed = [0, 0], [0, 0]

    def work(index: int) -> None:
        start.wait()
        while True:
            # 3 a batch, 4 rows a code: a batch of the old claim split a code between workers
            report = deliver_due(workers[index].uow, {MALL: mall}, workers[index].clock, batch=3)
            delivered[index] += report.delivered
            failed[index] += report.dead + report.retried
            with workers[index].uow() as uow:
                counts = uow.repo(OutboxRepo).counts(1)
            if not (counts.get("pending") or counts.get("inflight")):
                return
            if not report.delivered:
                time.sleep(0.005)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for made in workers:
        made.engine.dispose()
    assert (sum(delivered), sum(failed)) == (CODES * len(EVENTS), 0)
    assert min(delivered) > 0  # both workers took part
    for n in range(CODES):
        seen = [(topic, rid) for code, topic, rid in mall.calls if code == f"JORDER{n:04d}"]
        assert seen == [
            ("code.redeemed", f"rdm_{n}_0"),
            ("code.reversed", f"rdm_{n}_0"),
            ("code.redeemed", f"rdm_{n}_1"),
            ("code.reversed", f"rdm_{n}_1"),
        ]
    assert mall.used == set()
    assert list_outbox(container.uow, actor=HQ, status=None).counts == {
        "delivered": CODES * len(EVENTS)
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each backend, to be migrated by hand."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield made
        made.dispose()
        return
    server: str = request.getfixturevalue("pg_server")
    name = f"vb_mig0009_{WORKER}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    made = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    yield made
    made.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(str(engine.url))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_the_migration_keys_the_rows_already_queued_so_they_keep_their_order(old_engine: Engine):
    _upgrade(old_engine, "0008")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    queued = [
        ("rdm_a:redeemed", "code.redeemed", {"redemption_id": "rdm_a", "code": "J1234567890123"}),
        ("rdm_a:reversed", "code.reversed", {"redemption_id": "rdm_a", "code": "J1234567890123"}),
        ("notice:1", "notice.sent", {"openid": "o-1"}),
    ]
    with old_engine.begin() as conn:
        # Only the columns 0008 has: the table's own order_key is left out of the statement.
        conn.execute(t.merchants.insert().values(id=1, name="m", timezone="UTC", created_at=now))
        for key, topic, payload in queued:
            conn.execute(
                t.outbox.insert().values(
                    merchant_id=1,
                    topic=topic,
                    destination=MALL,
                    dedupe_key=key,
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    _upgrade(old_engine, "0009")
    with old_engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT dedupe_key, order_key FROM outbox")).all())
    assert keys == {
        "rdm_a:redeemed": "platform:weimall:J1234567890123",
        "rdm_a:reversed": "platform:weimall:J1234567890123",
        "notice:1": None,  # a message about no code waits for nothing
    }
    # ...and the worker then takes the use alone first.
    with old_engine.begin() as conn:
        claimed = OutboxRepo(conn).claim(now, 10, now + timedelta(minutes=2))
    assert [r.dedupe_key for r in claimed] == ["rdm_a:redeemed", "notice:1"]
