"""Use cases of reconciliation (对账): run one store's platform day, keep it, read it back.

A run first reads both sides (the platform's statement over HTTP, or the uploaded CSV, and our
redemptions), then writes the run with all its lines in one transaction: a platform that is
down fails the run with ``platform_unavailable`` and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import MerchantRepo, StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import Credentials, StatementLine, credentials_of
from voucherbridge.platforms.registry import Platforms
from voucherbridge.platforms.repository import BindingRepo
from voucherbridge.platforms.statements import PLATFORMS, statement_source
from voucherbridge.reconciliation.compare import KINDS, REVERSED, Comparison, Entry, compare
from voucherbridge.reconciliation.csv_statement import parse_statement
from voucherbridge.reconciliation.repository import ReconciliationRepo
from voucherbridge.reconciliation.views import LineView, RunSummary, RunView, run_view

MISMATCH_ACTION = "reconciliation.mismatch"
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Target:
    """What one run reconciles, and who started it."""

    merchant_id: int
    store_id: int
    platform: str
    day: date
    trigger: str = "manual"  # manual | nightly
    started_by: str = ""


@dataclass(frozen=True)
class StatementReader:
    """How a run reaches the platforms: the process's clients and the secret opener."""

    platforms: Platforms
    open_secret: Callable[[str], str]


def zone_of(uow: UnitOfWork, merchant_id: int) -> ZoneInfo:
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    return ZoneInfo(merchant.timezone if merchant else "Asia/Shanghai")


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The merchant-local day as an aware [start, end) (a zone's day may not be 24 h)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def check_target(uow: UnitOfWork, actor: Actor, platform: str, store_id: int) -> None:
    """A run the actor may start: a manager (or HQ), a platform we read, their own store."""
    actor.require_manager()
    if platform not in PLATFORMS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform")
    if uow.repo(StoreRepo).get(actor.merchant_id, store_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    actor.require_store(store_id)


def _credentials(uow: UnitOfWork, reader: StatementReader, target: Target) -> Credentials:
    binding = uow.repo(BindingRepo).get(target.merchant_id, target.store_id, target.platform)
    if binding is not None and binding.status == "expired":
        raise DomainError(ErrorCode.BINDING_EXPIRED, platform=target.platform)
    if binding is None or binding.status != "bound":
        raise DomainError(ErrorCode.BINDING_MISSING, platform=target.platform)
    return credentials_of(binding, reader.open_secret)


def _ours(uow: UnitOfWork, target: Target, zone: ZoneInfo) -> list[Entry]:
    start, end = day_bounds(target.day, zone)
    rows = uow.repo(ReconciliationRepo).uses(
        target.merchant_id, target.store_id, target.platform, start, end
    )
    # The mall settles what we told it we discounted; group-buy platforms settle the price.
    amount = "discount_fen" if target.platform == "weimall" else "price_fen"
    return [
        Entry(
            code=r["code"],
            amount_fen=int(r[amount]),
            status=REVERSED if r["status"] == "reversed" else "redeemed",
            at=r["redeemed_at"],
            reference=r["public_id"],
        )
        for r in rows
    ]


def _theirs(lines: Sequence[StatementLine]) -> list[Entry]:
    return [Entry(x.code, x.amount_fen, x.status, x.at, x.reference) for x in lines]


def _line_row(kind: str, code: str, ours: Entry | None, theirs: Entry | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "code": code[:64],
        "ours_fen": ours.amount_fen if ours else None,
        "theirs_fen": theirs.amount_fen if theirs else None,
        "ours_status": ours.status if ours else None,
        "theirs_status": theirs.status if theirs else None,
        "ours_at": ours.at if ours else None,
        "theirs_at": theirs.at if theirs else None,
        "redemption_id": ours.reference[:40] if ours else None,
        "platform_ref": theirs.reference[:200] if theirs else None,
    }


def keep_run(
    make_uow: UnitOfWorkFactory,
    target: Target,
    statement: Sequence[StatementLine],
    *,
    source: str,
    started_at: datetime,
    clock: Clock,
    alert: bool = False,
) -> int:
    """Compare the statement with our uses and store the run whole; with `alert`, a run with
    any mismatch also appends the audit row the alerts read."""
    with make_uow(write=True) as uow:
        zone = zone_of(uow, target.merchant_id)
        result: Comparison = compare(_ours(uow, target, zone), _theirs(statement))
        now = clock()
        counts = {kind: result.count(kind) for kind in KINDS}
        run_id = uow.repo(ReconciliationRepo).add_run(
            {
                "merchant_id": target.merchant_id,
                "store_id": target.store_id,
                "platform": target.platform,
                "day": target.day,
                "source": source,
                "trigger": target.trigger,
                "started_by": target.started_by[:64],
                "started_at": started_at,
                "finished_at": now,
                "ours_fen": result.ours_fen,
                "theirs_fen": result.theirs_fen,
                "difference_fen": result.difference_fen,
                **counts,
            },
            [_line_row(x.kind, x.code, x.ours, x.theirs) for x in result.lines],
        )
        if alert and (result.mismatches or result.difference_fen):
            uow.repo(AuditRepo).add(
                target.merchant_id,
                actor_type="system",
                actor_id=f"reconciliation:{target.trigger}",
                action=MISMATCH_ACTION,
                subject=f"reconciliation:{run_id}",
                before=None,
                after={
                    "run_id": run_id,
                    "platform": target.platform,
                    "date": target.day.isoformat(),
                    "difference_fen": result.difference_fen,
                    **{k: v for k, v in counts.items() if k != "matched"},
                },
                now=now,
                store_id=target.store_id,
            )
        uow.commit()
        return run_id


def fetch_and_keep(
    make_uow: UnitOfWorkFactory,
    reader: StatementReader,
    target: Target,
    clock: Clock,
    *,
    alert: bool = False,
) -> int:
    """The platform's statement over its API, then the run (nothing kept if the call fails)."""
    started = clock()
    with make_uow() as uow:
        credentials = _credentials(uow, reader, target)
    lines = statement_source(reader.platforms, target.platform).statement(credentials, target.day)
    return keep_run(
        make_uow, target, lines, source="api", started_at=started, clock=clock, alert=alert
    )


def reconcile(
    make_uow: UnitOfWorkFactory,
    reader: StatementReader,
    *,
    actor: Actor,
    platform: str,
    store_id: int,
    day: date,
    clock: Clock,
) -> RunView:
    """Run one store's platform day from the platform's API (admin API, CLI, console)."""
    with make_uow() as uow:
        check_target(uow, actor, platform, store_id)
    target = Target(actor.merchant_id, store_id, platform, day, started_by=actor.username)
    run_id = fetch_and_keep(make_uow, reader, target, clock)
    return get_run(make_uow(), actor=actor, run_id=run_id)


def reconcile_csv(
    make_uow: UnitOfWorkFactory,
    *,
    actor: Actor,
    platform: str,
    store_id: int,
    day: date,
    content: bytes,
    clock: Clock,
) -> RunView:
    """Run one store's platform day from the platform's statement as uploaded (CSV)."""
    started = clock()
    with make_uow() as uow:
        check_target(uow, actor, platform, store_id)
        zone = zone_of(uow, actor.merchant_id)
        binding = uow.repo(BindingRepo).get(actor.merchant_id, store_id, platform)
    lines = parse_statement(
        content, zone=zone, platform_store_id=binding.platform_store_id if binding else ""
    )
    target = Target(actor.merchant_id, store_id, platform, day, started_by=actor.username)
    run_id = keep_run(make_uow, target, lines, source="csv", started_at=started, clock=clock)
    return get_run(make_uow(), actor=actor, run_id=run_id)


def local_yesterday(uow: UnitOfWork, *, actor: Actor, now: datetime) -> date:
    """The merchant's yesterday: the day a morning's reconciliation is about."""
    with uow:
        zone = zone_of(uow, actor.merchant_id)
    return now.astimezone(zone).date() - timedelta(days=1)


def _store_names(uow: UnitOfWork, merchant_id: int) -> dict[int, str]:
    return {s.id: s.name for s in uow.repo(StoreRepo).list(merchant_id)}


def get_run(uow: UnitOfWork, *, actor: Actor, run_id: int) -> RunView:
    """One kept run with its lines; a manager reads runs of their stores only."""
    actor.require_manager()
    with uow:
        run = uow.repo(ReconciliationRepo).run(actor.merchant_id, run_id)
        if run is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="reconciliation")
        actor.require_store(run["store_id"])
        zone = zone_of(uow, actor.merchant_id)
        store = _store_names(uow, actor.merchant_id).get(run["store_id"], "")
        rows = uow.repo(ReconciliationRepo).lines(run_id)
    lines = [LineView.of(r, run["store_id"], store, zone) for r in rows]
    return run_view(RunSummary.of(run, store, zone), lines)


def list_runs(
    uow: UnitOfWork, *, actor: Actor, day: date | None, limit: int = 200
) -> list[RunSummary]:
    """Kept runs newest first (of one day when given); a manager sees their stores' runs."""
    actor.require_manager()
    with uow:
        zone = zone_of(uow, actor.merchant_id)
        names = _store_names(uow, actor.merchant_id)
        runs = uow.repo(ReconciliationRepo).runs(
            actor.merchant_id, day=day, store_ids=actor.store_ids, limit=limit
        )
    return [RunSummary.of(r, names.get(r["store_id"], ""), zone) for r in runs]
