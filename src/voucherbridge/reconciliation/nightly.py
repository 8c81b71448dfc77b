"""The nightly job: once per merchant-local day, reconcile yesterday for every bound store and
platform, and raise an alert (an audit row, see domain/alerts.py) on any mismatch.

`voucherbridge worker` runs `nightly_loop` in a thread beside its delivery loops. Each
merchant's day is claimed in the database (reconciliation_nightly, unique per merchant and
day) before anything runs, so two worker processes never run it twice; a claim left
unfinished for `STALE` (its process died) is taken over. A platform that is down fails only
its own store's run, which the claim's detail records.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError
from voucherbridge.reconciliation.repository import ReconciliationRepo
from voucherbridge.reconciliation.service import Clock, StatementReader, Target, fetch_and_keep

log = structlog.get_logger("voucherbridge.reconciliation")
RUN_AFTER_HOUR = 3  # local time: the platforms' statements of yesterday are ready by then [M]
STALE = timedelta(hours=1)


@dataclass
class NightlyReport:
    claimed: list[tuple[int, str]] = field(default_factory=list)  # (merchant, day)
    runs: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def run_nightly(
    make_uow: UnitOfWorkFactory,
    reader: StatementReader,
    clock: Clock,
    *,
    after_hour: int = RUN_AFTER_HOUR,
) -> NightlyReport:
    """Every merchant whose local clock is past `after_hour` and whose yesterday nobody has
    claimed: claim it, then reconcile each bound store and platform of that day."""
    report = NightlyReport()
    with make_uow() as uow:
        merchants = uow.repo(ReconciliationRepo).merchants()
    for merchant_id, zone_name in merchants:
        now = clock()
        local = now.astimezone(ZoneInfo(zone_name))
        if local.hour < after_hour:
            continue
        day = local.date() - timedelta(days=1)
        with make_uow(write=True) as uow:
            repo = uow.repo(ReconciliationRepo)
            if not repo.claim_night(merchant_id, day, now, now - STALE):
                continue
            bound = repo.bound(merchant_id)
            uow.commit()
        report.claimed.append((merchant_id, day.isoformat()))
        done: list[int] = []
        failed: list[dict[str, Any]] = []
        for store_id, platform in bound:
            target = Target(merchant_id, store_id, platform, day, "nightly", "nightly")
            try:
                done.append(fetch_and_keep(make_uow, reader, target, clock, alert=True))
            except DomainError as exc:
                log.warning(
                    "reconciliation.nightly_failed",
                    merchant_id=merchant_id,
                    store_id=store_id,
                    platform=platform,
                    error=str(exc.code),
                )
                failed.append({"store_id": store_id, "platform": platform, "error": exc.code})
        with make_uow(write=True) as uow:
            detail = {"runs": done, "failed": [{**f, "error": str(f["error"])} for f in failed]}
            uow.repo(ReconciliationRepo).finish_night(merchant_id, day, clock(), detail)
            uow.commit()
        log.info(
            "reconciliation.nightly_done",
            merchant_id=merchant_id,
            day=day.isoformat(),
            runs=len(done),
            failed=len(failed),
        )
        report.runs.extend(done)
        report.failed.extend(failed)
    return report


def nightly_loop(
    make_uow: UnitOfWorkFactory,
    reader: StatementReader,
    clock: Clock,
    stop: threading.Event,
    *,
    every_s: float = 60.0,
) -> None:
    """Beside the outbox loops, in a thread of its own (a slow platform never holds up a
    delivery): look at the clock now, then every `every_s`, until `stop` is set."""
    while not stop.is_set():
        try:
            run_nightly(make_uow, reader, clock)
        except Exception:  # whatever the night meets, the worker process keeps delivering
            log.exception("reconciliation.nightly_error")
        if stop.wait(every_s):
            break
