"""Crashes: `kill -9` of an API process in the middle of a redemption load, and of the outbox
worker in the middle of delivering to the micro-mall. What a till was told stays true, nothing
is half-written, and every use reaches the mall exactly once after a restart."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.helpers import bearer, wait_until
from tests.procs import (
    Api,
    cli,
    issue_cash_codes,
    open_order,
    scalar,
    seed,
    service_env,
    stop_process,
)
from voucherbridge_sims.simkit.server import ServerThread
from voucherbridge_sims.weimall.simulator import create_app as weimall_app
from voucherbridge_sims.weimall.state import WeimallSimConfig

TILLS, CODES, KILL_AFTER = 4, 160, 40
REDEEMED = "/open/v1/vouchers/redeemed"


def _till(api: Api, key: str, codes: list[str], seen: dict[str, str], unsure: list[str]) -> None:
    """Redeem codes one after another; remember every 201 (and what had no answer)."""
    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        for code in codes:
            try:
                order_id = open_order(http, key)
            except httpx.HTTPError:
                return  # the service is gone; this code was never sent
            try:
                got = http.post(
                    "/api/v1/redemptions",
                    json={"code": code, "order_id": order_id},
                    headers=bearer(key),
                )
            except httpx.HTTPError:
                unsure.append(code)
                return
            assert got.status_code == 201, got.text
            seen[code] = got.json()["id"]


def test_api_killed_mid_load_keeps_every_answered_redemption_and_no_half_written_one(
    database_url: str, tmp_path: Path
):
    demo = seed(database_url)
    key = demo["terminal_key"]
    api = Api(database_url, tmp_path / "api.log").start()
    try:
        codes = issue_cash_codes(api.base_url, demo, CODES)
        seen: dict[str, str] = {}
        unsure: list[str] = []
        share = CODES // TILLS
        tills = [
            threading.Thread(
                target=_till, args=(api, key, codes[i * share : (i + 1) * share], seen, unsure)
            )
            for i in range(TILLS)
        ]
        for till in tills:
            till.start()
        wait_until(
            lambda: len(seen) >= KILL_AFTER,
            timeout_s=120,
            interval_s=0.01,
            message=f"fewer than {KILL_AFTER} redemptions answered within 120 s",
        )
        api.kill9()  # mid-load: every till has a request in flight or about to be sent
        for till in tills:
            till.join(timeout=60)
        answered = dict(seen)
        assert KILL_AFTER <= len(answered) < CODES

        _assert_all_or_nothing(database_url)
        engine = create_engine(database_url)
        with engine.connect() as conn:
            stored = {
                r.code: r.public_id
                for r in conn.execute(text("select code, public_id from redemptions"))
            }
        engine.dispose()
        assert {c: stored.get(c) for c in answered} == answered  # every 201 survived

        api.start()  # restarted on the same database
        with httpx.Client(base_url=api.base_url, timeout=30) as http:
            # a till retries what got no answer: it either went through whole (409) or not
            for code in unsure:
                again = http.post(
                    "/api/v1/redemptions",
                    json={"code": code, "order_id": open_order(http, key)},
                    headers=bearer(key),
                )
                assert again.status_code in (201, 409), again.text
                if again.status_code == 409:
                    assert again.json()["error"]["code"] == "voucher_already_redeemed"
                    assert code in stored
                else:
                    assert code not in stored
        _assert_all_or_nothing(database_url)
        print(
            f"\napi kill -9 on {database_url.split(':')[0]}: {len(answered)} answered 201, "
            f"{len(unsure)} in flight, {len(stored) - len(answered)} committed unanswered"
        )
    finally:
        api.stop()


def _assert_all_or_nothing(database_url: str) -> None:
    """A redeemed code has its one active redemption, history event and sync row; an issued
    code has none of them."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        redeemed = scalar(conn, "select count(*) from codes where status = 'redeemed'")
        redemptions = scalar(conn, "select count(*) from redemptions where status = 'active'")
        orphans = scalar(
            conn,
            "select count(*) from codes c where c.status = 'redeemed' and not exists "
            "(select 1 from redemptions r where r.code_id = c.id and r.status = 'active')",
        )
        no_event = scalar(
            conn,
            "select count(*) from redemptions r where not exists (select 1 from code_events e "
            "where e.redemption_id = r.id and e.event = 'redeemed')",
        )
        no_sync = scalar(
            conn,
            "select count(*) from redemptions r where not exists (select 1 from outbox o "
            "where o.dedupe_key = r.public_id || :suffix)",
            suffix=":redeemed",
        )
        outbox = scalar(conn, "select count(*) from outbox")
    engine.dispose()
    assert (orphans, no_event, no_sync) == (0, 0, 0)
    assert redeemed == redemptions == outbox


@pytest.fixture
def mall() -> Iterator[ServerThread]:
    with ServerThread(weimall_app(WeimallSimConfig(time_scale=0.001))) as server:
        yield server


def _uses(http: httpx.Client) -> dict[str, int]:
    return {c["code"]: c["use_count"] for c in http.get("/_sim/weimall/codes").json()}


def test_worker_killed_mid_delivery_then_restarted_delivers_every_use_exactly_once(
    database_url: str, tmp_path: Path, mall: ServerThread
):
    demo = seed(database_url)
    key = demo["terminal_key"]
    api = Api(database_url, tmp_path / "api.log").start()
    sim = httpx.Client(base_url=mall.base_url, timeout=30)
    worker: subprocess.Popen[bytes] | None = None
    try:
        codes = issue_cash_codes(api.base_url, demo, 60)
        sim.post("/_sim/weimall/codes", json={"codes": codes}).raise_for_status()
        with httpx.Client(base_url=api.base_url, timeout=30) as http:
            for code in codes:
                done = http.post(
                    "/api/v1/redemptions",
                    json={"code": code, "order_id": open_order(http, key)},
                    headers=bearer(key),
                )
                assert done.status_code == 201, done.text
        # slow mall: a batch of deliveries is in flight when the worker dies
        sim.post("/_sim/latency", json={"path": REDEEMED, "ms": 150}).raise_for_status()
        env = service_env(database_url, VOUCHERBRIDGE_WEIMALL_BASE_URL=mall.base_url)
        log = (tmp_path / "worker.log").open("ab")
        worker = subprocess.Popen(
            cli("worker", "--poll", "0.2"), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_until(
            lambda: sum(_uses(sim).values()) >= 15,
            timeout_s=60,
            interval_s=0.05,
            message="the worker delivered fewer than 15 uses within 60 s",
        )
        worker.kill()  # SIGKILL
        worker.wait(timeout=10)
        time.sleep(0.5)  # the request the worker had in flight still lands at the mall
        engine = create_engine(database_url)
        with engine.begin() as conn:
            inflight = scalar(conn, "select count(*) from outbox where status = 'inflight'")
            assert inflight > 0  # the kill left claimed, undelivered rows behind
            # the lease is minutes long: rather than wait, move the killed worker's leases
            # into the past, which is what the clock does in production
            conn.execute(
                text("update outbox set locked_until = :past where status = 'inflight'").bindparams(
                    past=datetime.now(UTC) - timedelta(minutes=5)
                )
            )
        delivered_before_restart = sum(_uses(sim).values())

        worker = subprocess.Popen(
            cli("worker", "--poll", "0.2"), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        with engine.connect() as conn:

            def all_delivered() -> bool:
                left = scalar(conn, "select count(*) from outbox where status <> 'delivered'")
                conn.rollback()
                return bool(left == 0)

            wait_until(
                all_delivered,
                timeout_s=120,
                interval_s=0.2,
                message="the restarted worker left rows undelivered after 120 s",
            )
            statuses = dict(
                conn.execute(text("select status, count(*) from outbox group by status")).all()
            )
        engine.dispose()
        assert statuses == {"delivered": 60}
        uses = _uses(sim)
        assert {c: uses.get(c) for c in codes} == dict.fromkeys(codes, 1)
        state = sim.get("/_sim/state").json()
        assert len(state["redemptions"]) == 60
        calls = len(sim.get("/_sim/requests", params={"path": REDEEMED}).json())
        print(
            f"\nworker kill -9 on {database_url.split(':')[0]}: {inflight} rows in flight, "
            f"{delivered_before_restart} uses before restart, {calls} calls for 60 uses"
        )
    finally:
        if worker is not None:
            stop_process(worker)
        api.stop()
        sim.close()
