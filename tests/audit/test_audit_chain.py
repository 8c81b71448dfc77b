"""The audit log is a hash chain: every kind of change lands in it, and tampering shows.

Tampering is done with raw SQL the way an intruder with database access would; on PostgreSQL
the append-only trigger is bypassed as a superuser does (session_replication_role), because the
chain has to catch exactly that.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, create_engine, insert, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tests.helpers import demo_admin_headers, redeem_on_new_order, terminal_headers
from voucherbridge.audit import verify as audit_verify
from voucherbridge.audit.repository import AuditRepo
from voucherbridge.bootstrap import Container, build
from voucherbridge.cli.main import app as cli
from voucherbridge.config import Settings
from voucherbridge.db import tables as t
from voucherbridge.db.migrate import alembic_config, upgrade
from voucherbridge.db.types import UTCDateTime
from voucherbridge.domain.audit_chain import (
    GENESIS,
    Break,
    ChainHead,
    ChainRow,
    first_broken_link,
    hash_row,
)
from voucherbridge.platforms import purchases as platform_orders

API = "/api/admin/v1"
LINES = [{"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}]


def _tamper(container: Container, sql: str, **params: Any) -> None:
    with container.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def _rows(container: Container) -> list[Any]:
    with container.engine.connect() as conn:
        return list(conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)))


def _verify_cli(container: Container, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = container.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("VOUCHERBRIDGE_ENVIRONMENT", "test")
    return CliRunner().invoke(cli, ["audit", "verify"])


@pytest.fixture
def history(client: Any, container: Container, demo: dict[str, Any]) -> dict[str, Any]:
    """One of each audited event: login, admin change, redemption, reversal, refund, retry."""
    hq = demo_admin_headers(client, demo)
    store = client.post(f"{API}/stores", json={"name": "东门店"}, headers=hq)
    assert store.status_code == 201, store.text
    till = terminal_headers(demo["terminal_key"])
    redeemed = redeem_on_new_order(client, till, demo["codes"]["cash"][0], LINES)
    reversed_ = client.post(
        f"/api/v1/redemptions/{redeemed['id']}/reverse",
        json={"reason": "客人改主意"},
        headers=till,
    )
    assert reversed_.status_code == 200, reversed_.text
    with container.engine.connect() as conn:
        listing = conn.execute(
            select(t.listings.c.public_id, t.listings.c.merchant_id).where(
                t.listings.c.platform == "weimall"
            )
        ).first()
        outbox_id = conn.execute(select(t.outbox.c.id).order_by(t.outbox.c.id)).scalar()
    assert listing is not None
    assert outbox_id is not None
    now = container.clock()
    common = {"platform": "weimall", "merchant_id": listing.merchant_id, "now": now}
    with container.uow(write=True) as uow:
        platform_orders.purchase_in(
            uow,
            listing_public_id=listing.public_id,
            platform_order_id="WM-REFUND-1",
            quantity=2,
            buyer_openid=None,
            **common,
        )
        platform_orders.refund_in(uow, platform_order_id="WM-REFUND-1", codes=None, **common)
        uow.commit()
    with container.engine.begin() as conn:  # the platform never answered: the row gave up
        conn.execute(t.outbox.update().where(t.outbox.c.id == outbox_id).values(status="dead"))
    retried = client.post(f"{API}/outbox/{outbox_id}/retry", headers=hq)
    assert retried.status_code == 200, retried.text
    return {"hq": hq, "redemption": redeemed, "store": store.json()}


def test_every_kind_of_event_lands_in_the_chain(
    client: Any, container: Container, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    rows = {r.action: r for r in _rows(container)}
    for action in (
        "user.login",
        "store.create",
        "redemption.redeem",
        "redemption.reverse",
        "codes.issue",
        "codes.refund",
        "outbox.retry",
    ):
        assert action in rows, f"{action} missing from the audit log"
    redeem, reverse = rows["redemption.redeem"], rows["redemption.reverse"]
    assert redeem.actor_type == "terminal"
    assert redeem.store_id is not None
    assert redeem.subject == history["redemption"]["id"]
    assert redeem.before == {"status": "issued"}
    assert redeem.after["status"] == "redeemed"
    assert redeem.after["discount_fen"] == 10000
    assert reverse.after["reason"] == "客人改主意"
    assert rows["store.create"].after["name"] == "东门店"
    assert rows["outbox.retry"].before == {"status": "dead"}
    assert rows["codes.refund"].actor_type == "platform"
    assert len(rows["codes.refund"].after["voided"]) == 2

    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 0, result.output
    assert f"审计链完整 {len(_rows(container))} 条" in result.output
    api = client.get(f"{API}/audit/verify", headers=history["hq"])
    assert api.status_code == 200
    assert api.json()["ok"] is True
    listing = client.get(f"{API}/audit", params={"limit": 3}, headers=history["hq"]).json()
    assert len(listing["items"]) == 3
    assert listing["next_before_id"] is not None
    assert listing["items"][0]["id"] > listing["items"][-1]["id"]


def test_an_edited_row_is_named(
    client: Any, container: Container, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    target = next(r for r in _rows(container) if r.action == "redemption.redeem")
    _tamper(
        container,
        "UPDATE audit_log SET after = :after WHERE id = :id",
        after='{"status": "redeemed", "discount_fen": 1}',
        id=target.id,
    )
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 1
    assert f"row {target.id}" in result.output
    assert "edited" in result.output
    api = client.get(f"{API}/audit/verify", headers=history["hq"]).json()
    assert api["ok"] is False
    assert api["broken"] == {**api["broken"], "row_id": target.id, "reason": "edited"}


def test_an_edit_with_a_recomputed_hash_is_still_named(
    container: Container, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    target = next(r for r in _rows(container) if r.action == "redemption.reverse")
    fields = {**target._mapping, "after": {"status": "reversed", "reason": "无"}}
    _tamper(
        container,
        "UPDATE audit_log SET after = :after, row_hash = :h WHERE id = :id",
        after='{"status": "reversed", "reason": "无"}',
        h=hash_row(fields, target.prev_hash),
        id=target.id,
    )
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 1
    assert f"row {target.id}" in result.output
    assert "edited" in result.output


def test_a_deleted_row_shows_as_a_gap(
    container: Container, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    rows = _rows(container)
    middle = rows[len(rows) // 2]
    after = next(r for r in rows if r.id > middle.id and r.merchant_id == middle.merchant_id)
    _tamper(container, "DELETE FROM audit_log WHERE id = :id", id=middle.id)
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 1
    assert f"row {after.id}" in result.output
    assert "deleted" in result.output


def test_deleting_the_newest_row_is_caught_by_the_head(
    container: Container, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    last = _rows(container)[-1]
    _tamper(container, "DELETE FROM audit_log WHERE id = :id", id=last.id)
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 1
    assert "deleted" in result.output


def test_postgresql_refuses_update_and_delete(container: Container, history: dict[str, Any]):
    if container.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain")
    for sql in ("UPDATE audit_log SET subject = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), container.engine.begin() as conn:
            conn.execute(text(sql))
    assert len(_rows(container)) > 0


def _append_concurrently(container: Container, hold_s: float = 0.0) -> None:
    """6 threads append 8 rows each to merchant 1's chain; `hold_s` keeps each transaction
    open after its append, so that writers overlap and need lanes of their own."""
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for n in range(8):
                with container.uow(write=True) as uow:
                    uow.repo(AuditRepo).add(
                        1,
                        actor_type="user",
                        actor_id=str(worker),
                        action="test.append",
                        subject=f"{worker}:{n}",
                        before=None,
                        after={"n": n},
                        now=datetime.now(UTC),
                    )
                    time.sleep(hold_s)
                    uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_concurrent_appends_keep_every_lane_a_valid_chain(
    container: Container, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    before = len(_rows(container))
    _append_concurrently(container, hold_s=0.005)
    rows = [r for r in _rows(container) if r.merchant_id == 1]
    assert len(_rows(container)) == before + 48
    lanes = {r.lane for r in rows}
    for lane in lanes:  # each lane counts 1, 2, 3... in id order
        assert [r.seq for r in rows if r.lane == lane] == list(
            range(1, 1 + sum(1 for r in rows if r.lane == lane))
        )
    if container.engine.dialect.name == "postgresql":
        assert len(lanes) > 1  # overlapping writers did not queue on one head row
    else:
        assert lanes == {0}  # one writer at a time: one lane
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 0, result.output
    reports = {r.chain_id: r for r in audit_verify.verify_all(container.uow)}
    assert reports[1].rows == len(rows)
    assert reports[1].broken is None


def test_tampering_in_any_lane_is_named(
    container: Container, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    _append_concurrently(container, hold_s=0.005)
    rows = [r for r in _rows(container) if r.merchant_id == 1]
    sizes = Counter(r.lane for r in rows)
    # On PostgreSQL a lane other than 0 with a middle row to delete, when there is one.
    lane = max(sizes, key=lambda n: (n != 0 and sizes[n] >= 3, sizes[n]))
    in_lane = [r for r in rows if r.lane == lane]
    target, after = in_lane[len(in_lane) // 2], in_lane[len(in_lane) // 2 + 1]
    _tamper(container, "DELETE FROM audit_log WHERE id = :id", id=target.id)
    result = _verify_cli(container, monkeypatch)
    assert result.exit_code == 1
    assert f"row {after.id}" in result.output
    assert "deleted" in result.output
    _tamper(
        container,
        "UPDATE audit_log SET lane = :other WHERE id = :id",
        other=lane + 1,
        id=in_lane[-1].id,
    )
    assert _verify_cli(container, monkeypatch).exit_code == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    server: str = request.getfixturevalue("pg_server")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS vb_chain_migration"))
        conn.execute(text("CREATE DATABASE vb_chain_migration"))
    admin.dispose()
    return make_url(server).set(database="vb_chain_migration").render_as_string(False)


def test_rows_written_before_the_chain_are_chained_by_the_migration(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
):
    engine = create_engine(empty_url)
    config = alembic_config(empty_url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    old = sa_table(
        "audit_log",
        *(sa_column(n) for n in ("merchant_id", "actor_type", "actor_id", "action", "subject")),
        sa_column("after", JSON()),
        sa_column("at", UTCDateTime()),
    )
    with engine.begin() as conn:
        for n, merchant in enumerate((1, 1, None, 2, 1)):
            conn.execute(
                insert(old).values(
                    merchant_id=merchant,
                    actor_type="user",
                    actor_id="7",
                    action="store.update",
                    subject=f"store:{n}",
                    after={"name": f"店{n}"},
                    at=datetime(2026, 11, 1, 10, n, tzinfo=UTC),
                )
            )
    upgrade(engine)
    container = build(Settings(database_url=empty_url, environment="test"))
    with container.uow(write=True) as uow:  # the chain continues from the migrated rows
        uow.repo(AuditRepo).add(
            1,
            actor_type="user",
            actor_id="7",
            action="store.update",
            subject="store:9",
            before=None,
            after=None,
            now=datetime.now(UTC),
        )
        uow.commit()
    reports = audit_verify.verify_all(container.uow)
    assert {r.chain_id: r.rows for r in reports} == {0: 1, 1: 4, 2: 1}
    assert all(r.broken is None for r in reports)
    container.engine.dispose()
    engine.dispose()


def test_managers_see_their_stores_rows_and_cannot_verify(
    client: Any, container: Container, demo: dict[str, Any], history: dict[str, Any]
):
    other = terminal_headers(demo["terminal_keys"]["福田店"])
    redeem_on_new_order(client, other, demo["codes"]["cash"][1], LINES)
    manager = demo_admin_headers(client, demo, "store_manager")
    assert client.get(f"{API}/audit/verify", headers=manager).status_code == 403
    seen = client.get(f"{API}/audit", params={"action": "redemption."}, headers=manager)
    assert seen.status_code == 200, seen.text
    stores = {row["store_id"] for row in seen.json()["items"]}
    everything = client.get(f"{API}/audit", params={"action": "redemption."}, headers=history["hq"])
    assert len(stores) == 1
    assert len({row["store_id"] for row in everything.json()["items"]}) == 2


def _chain(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {
            "merchant_id": 1,
            "seq": seq,
            "action": "x",
            "at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        digest = hash_row(fields, prev)
        rows.append(ChainRow(seq * 10, fields, prev, digest))
        prev = digest
    return rows


def test_the_rule_tells_edited_deleted_and_reordered_apart():
    rows = _chain(5)
    head = ChainHead(5, str(rows[-1].row_hash))
    assert first_broken_link(rows, head) is None
    swapped = [rows[0], rows[2], rows[1], rows[3], rows[4]]
    assert first_broken_link(swapped, head) == Break(30, 3, "reordered", "expected position 2")
    gap = first_broken_link(rows[:2] + rows[3:], head)
    assert gap is not None
    assert (gap.row_id, gap.reason) == (40, "deleted")
    edited = ChainRow(30, {**rows[2].fields, "action": "y"}, rows[2].prev_hash, rows[2].row_hash)
    broken = first_broken_link([*rows[:2], edited, *rows[3:]], head)
    assert broken is not None
    assert (broken.row_id, broken.reason) == (30, "edited")
    tail = first_broken_link(rows[:4], head)
    assert tail is not None
    assert (tail.row_id, tail.reason) == (None, "deleted")
