"""Prepare (验券准备) and redeem (核销) a scanned code against an order.

Redeem is one transaction: lock the order row, compare-and-set the code, insert the
redemption, its history event, the outbox rows and the idempotency row, commit. The loser of a
race sees 0 rows from the compare-and-set and answers `voucher_already_redeemed`, unless the
winner was the same order at the same store (a double Enter), which replays the first result.
Requests of one idempotency key on one order queue on the order lock; on other orders, the one
whose key row lands second rolls back and answers with the first's row (replay or conflict).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.core.formatting import iso
from voucherbridge.counter.evaluation import already_redeemed, double_enter, evaluate, open_order
from voucherbridge.counter.recording import (
    RedeemOutcome,
    answer_for_taken_key,
    answer_of_key,
    answer_of_stored,
    record_redemption,
    remember,
    request_hash_of,
)
from voucherbridge.counter.scan_repository import ScannedRow, ScanRepo
from voucherbridge.counter.throttle import Gate
from voucherbridge.counter.views import PrepareView, RedemptionView
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import (
    CodeType,
    Platform,
    ScannedCode,
    mask_code,
)
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import (
    Code,
    Order,
    Terminal,
)
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.platforms.repository import BindingRepo

log = structlog.get_logger("voucherbridge.redemption")


def prepare_code(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    now: datetime,
    guard: Gate | None = None,
) -> PrepareView:
    """What the code is worth on this order. Reads only; nothing changes."""
    with uow:
        order = _counted(uow, terminal, order_id, guard, lock=False)
        zone = ZoneInfo(terminal.timezone)
        found = _scan(uow, terminal, scanned, guard)
        catalogue = (found.template, found.listing)
        evaluation = evaluate(uow, terminal, found.code, order, now, zone, catalogue=catalogue)
        template = evaluation.template.template
        return PrepareView(
            code=evaluation.code.code,
            platform=evaluation.code.platform.value,
            kind=template.kind.value,
            name=template.name,
            face_value_fen=template.face_value_fen,
            discount_fen=evaluation.discount.discount_fen,
            valid_until=iso(evaluation.code.valid_until, zone),
            redeemable=True,
        )


def redeem_code(
    uow: UnitOfWork,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guard: Gate | None = None,
) -> RedeemOutcome:
    """Mark the code used for the order, once, and return the redemption."""
    try:
        outcome = _redeem(
            uow, terminal, scanned, order_id, idempotency_key, now, reversal_windows, guard
        )
    except DomainError as exc:
        log.info(
            "voucher.redeem.rejected",
            reason=exc.code.value,
            terminal_id=terminal.id,
            order_id=order_id,
            code=mask_code(scanned.value),
        )
        raise
    log.info(
        "voucher.redeem.replayed" if outcome.replayed else "voucher.redeem.succeeded",
        terminal_id=terminal.id,
        order_id=order_id,
        redemption_id=outcome.body.id,
        discount_fen=outcome.body.discount_fen,
        code=mask_code(outcome.body.code),
    )
    return outcome


def _redeem(
    uow: UnitOfWork,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
    guard: Gate | None,
) -> RedeemOutcome:
    request_hash = request_hash_of(scanned.value, order_id)
    with uow:
        # The order row lock comes first: it serialises every voucher on one order, so
        # per-order limits and stacking rules see each other, and double Enters queue. The
        # code-guessing throttle's counts come with it and refuse first (counter/throttle).
        order = _counted(uow, terminal, order_id, guard, lock=True)
        # The code and the key's answer in one query; the key's answer counts first.
        found = uow.repo(ScanRepo).scan(
            terminal.merchant_id,
            scanned.value,
            store_id=terminal.store_id,
            terminal_id=terminal.id,
            key=idempotency_key,
        )
        if found is None:
            stored = answer_of_key(uow, terminal, idempotency_key, request_hash)
        else:
            stored = answer_of_stored(found.stored, request_hash)
        if stored is not None:
            return stored
        try:
            _usable(terminal, scanned, found, guard)
            assert found is not None
            return _use(
                uow,
                terminal,
                scanned,
                found,
                order,
                idempotency_key,
                request_hash,
                now,
                reversal_windows,
            )
        except DomainError as refused:
            if not idempotency_key or refused.code is ErrorCode.IDEMPOTENCY_CONFLICT:
                raise
            # A request of our key on another order (not queued by the order lock) that
            # committed after we read the key, using our code: its answer is ours, as if we had
            # come second (READ COMMITTED: this fresh transaction sees it).
            uow.rollback()
            stored = answer_of_key(uow, terminal, idempotency_key, request_hash)
            if stored is None:
                raise
            return stored


def _use(
    uow: UnitOfWork,
    terminal: Terminal,
    scanned: ScannedCode,
    found: ScannedRow,
    order: Order,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
    reversal_windows: Mapping[str, int],
) -> RedeemOutcome:
    zone, code = ZoneInfo(terminal.timezone), found.code
    replay = double_enter(uow, terminal, code, order)
    if replay is not None:
        body = RedemptionView.of(replay, zone)
        if not remember(uow, terminal, idempotency_key, request_hash, replay.id, body, now):
            uow.rollback()
            return answer_for_taken_key(uow, terminal, idempotency_key, request_hash)
        uow.commit()
        return RedeemOutcome(body, replayed=True)
    catalogue = (found.template, found.listing)
    evaluation = evaluate(uow, terminal, code, order, now, zone, catalogue=catalogue)
    if not uow.repo(CodeRepo).compare_and_set(code.id, CodeStatus.ISSUED, CodeStatus.REDEEMED, now):
        uow.rollback()
        return _lost_race(uow, terminal, scanned, order, zone)
    redemption = record_redemption(
        uow, terminal, order, evaluation, now, reversal_windows, buyer=found.buyer
    )
    body = RedemptionView.of(redemption, zone)
    if not remember(uow, terminal, idempotency_key, request_hash, redemption.id, body, now):
        # Another request of this key (on another order: the order lock did not queue it)
        # committed between our read of the key and our insert: undo ours, answer with its.
        uow.rollback()
        return answer_for_taken_key(uow, terminal, idempotency_key, request_hash)
    uow.commit()
    return RedeemOutcome(body, replayed=False)


def _find_code(uow: UnitOfWork, terminal: Terminal, scanned: ScannedCode) -> Code:
    if scanned.code_type is CodeType.PLATFORM:
        # Platform codes are verified through the platform's API, which needs a binding.
        if not uow.repo(BindingRepo).is_bound(terminal.store_id, scanned.platform.value):
            raise DomainError(ErrorCode.BINDING_MISSING, platform=scanned.platform.value)
        raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=scanned.platform.value)
    code = uow.repo(CodeRepo).find(terminal.merchant_id, scanned.value)
    if code is None:
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=scanned.value)
    if code.platform is not Platform.DIRECT and not uow.repo(BindingRepo).is_bound(
        terminal.store_id, code.platform.value
    ):
        # The platform must hear of this use, and only a bound store can tell it.
        raise DomainError(ErrorCode.BINDING_MISSING, platform=code.platform.value)
    return code


def _counted(
    uow: UnitOfWork, terminal: Terminal, order_id: int, guard: Gate | None, *, lock: bool
) -> Order:
    """The scan's first statement: the order (locked for a redemption) with the throttle's
    counts; the throttle refuses first, then a missing, foreign or closed order."""
    ids = (terminal.store_id, terminal.id)
    since = guard.since if guard is not None else datetime.max.replace(tzinfo=UTC)
    repo = uow.repo(ScanRepo)
    read = repo.lock_order if lock else repo.order
    found = read(terminal.merchant_id, order_id, terminal=ids, since=since)
    if found is None:
        if guard is not None:
            guard(uow)  # no row to read the counts with: count on their own
        open_order(uow, terminal, order_id)  # raises the precise reason
        raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)  # pragma: no cover
    if guard is not None:
        guard.check_counts(uow, found.misses_at_store, found.misses_at_till)
    order = found.order
    if order.store_id != terminal.store_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
    if order.status != "open":
        raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)
    return order


def _scan(
    uow: UnitOfWork, terminal: Terminal, scanned: ScannedCode, guard: Gate | None
) -> ScannedRow:
    """The scanned code of ours with its template and listing, refused as _find_code does."""
    found = uow.repo(ScanRepo).scan(
        terminal.merchant_id,
        scanned.value,
        store_id=terminal.store_id,
        terminal_id=terminal.id,
        key=None,
    )
    _usable(terminal, scanned, found, guard)
    assert found is not None
    return found


def _usable(
    terminal: Terminal, scanned: ScannedCode, found: ScannedRow | None, guard: Gate | None
) -> Code:
    if found is None:
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=scanned.value)
    if guard is not None:
        guard.code = (found.code.id, found.code.code)
    if found.code.platform is not Platform.DIRECT and not found.bound:
        # The platform must hear of this use, and only a bound store can tell it.
        raise DomainError(ErrorCode.BINDING_MISSING, platform=found.code.platform.value)
    return found.code


def _lost_race(
    uow: UnitOfWork, terminal: Terminal, scanned: ScannedCode, order: Order, zone: ZoneInfo
) -> RedeemOutcome:
    """Another request moved the code between our read and our write: say who won.

    The caller rolled back; these reads run in a fresh transaction and see the winner.
    """
    code = _find_code(uow, terminal, scanned)
    replay = double_enter(uow, terminal, code, order)
    if replay is not None:
        return RedeemOutcome(RedemptionView.of(replay, zone), replayed=True)
    if code.status is CodeStatus.VOIDED:
        raise DomainError(ErrorCode.VOUCHER_VOIDED, code=code.code)
    raise already_redeemed(uow, terminal, code, zone)
