"""The nightly job: once per merchant-local day, after 03:00, yesterday is reconciled for every
bound store and platform, claimed in the database so that two worker processes never both run
it, and a mismatch becomes an alert."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from tests.factories import FakeClock
from tests.helpers import (
    buy_douyin,
    demo_admin_headers,
    douyin_codes,
    must_redeem,
    platform_listing,
)
from tests.platforms.flows.conftest import sim_clock_follows
from tests.reconciliation.tools import API, china_day, sim_statement, store_id
from voucherbridge.bootstrap import Container
from voucherbridge.reconciliation.nightly import NightlyReport, run_nightly
from voucherbridge.reconciliation.service import StatementReader

POI = "7001000000001"


def test_yesterday_is_reconciled_once_and_a_mismatch_raises_an_alert(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., dict[str, Any]],
    douyin: httpx.Client,
    container: Container,
    noon: FakeClock,
    demo: dict[str, Any],
):
    platform_listing(client, admin, "douyin", "sku-night", title="抖音 100元代金券")
    sim_clock_follows(douyin, noon)
    codes = douyin_codes(
        buy_douyin(douyin, poi_id=POI, sku_id="sku-night", count=2, code_type="platform")
    )
    for code in codes:
        must_redeem(client, auth, code, new_order()["id"])
    day = china_day(noon)
    sim_statement(douyin, day, drop=[codes[1]])  # Douyin's ledger misses one use
    reader = StatementReader(container.platform_clients, container.secrets.open)

    noon.advance(hours=14)  # 02:00 the next morning in Beijing: too early
    assert run_nightly(container.uow, reader, container.clock).claimed == []
    noon.advance(hours=2)  # 04:00: two worker processes get there at once
    reports: list[NightlyReport] = []
    workers = [
        threading.Thread(
            target=lambda: reports.append(run_nightly(container.uow, reader, container.clock))
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    claimed = [c for r in reports for c in r.claimed]
    assert len(reports) == 2
    assert len(claimed) == 1
    assert claimed[0][1] == day.isoformat()
    assert run_nightly(container.uow, reader, container.clock).claimed == []  # and not again

    # 16 hours on, the morning's console session may have lapsed (12 h): sign in again
    admin = demo_admin_headers(client, demo)
    runs = client.get(f"{API}/reconciliations", headers=admin, params={"date": str(day)}).json()
    # every bound store and platform of the demo (two stores, three platforms), each once
    done = [r for r in runs if r["trigger"] == "nightly"]
    ran = {(r["store"], r["platform"]) for r in done}
    failed = {(f["store_id"], f["platform"]) for r in reports for f in r.failed}
    assert len(done) == len(ran)
    assert len(ran) + len(failed) == 6
    [douyin_run] = [r for r in done if (r["store"], r["platform"]) == ("皇岗店", "douyin")]
    assert douyin_run["counts"]["ours_only"] == 1
    assert douyin_run["counts"]["matched"] == 1

    found = client.get(f"{API}/alerts", headers=admin).json()["alerts"]
    mismatches = [a for a in found if a["kind"] == "reconciliation_mismatch"]
    flagged = [a for a in mismatches if a["detail"]["run_id"] == douyin_run["id"]]
    assert len(flagged) == 1
    [alert] = flagged
    assert alert["stores"] == [{"id": store_id(client, admin), "name": "皇岗店"}]
    assert (alert["detail"]["ours_only"], alert["detail"]["difference_fen"]) == (1, -6000)
    consistent = [r for r in done if r["consistent"]]
    assert all(a["detail"]["run_id"] not in {r["id"] for r in consistent} for a in mismatches)

    noon.advance(days=1)  # the next night is its own day
    later = run_nightly(container.uow, reader, container.clock)
    assert later.claimed == [(claimed[0][0], (day + timedelta(days=1)).isoformat())]
