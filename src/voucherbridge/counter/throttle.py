"""Code guessing at the till: unknown codes are counted per terminal and per store.

Misses are rows in `code_attempts`, not audit rows: they are counted by every scan, so they
must be cheap to write and to prune, while the audit log only ever grows and every append
takes the chain lock. The audit log gets one `voucher.guess_throttled` row per burst.
Counting in the database (not in process memory) makes the limit hold across API processes.
A scan that is allowed costs one indexed range count, whatever the code.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.counter.guess_repository import GuessRepo
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import ScannedCode, classify_code, mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal

log = structlog.get_logger("voucherbridge.throttle")

# Refusals of a code we know: the ones that say someone holds a code they should not use
# here (the alert "same code tried at two stores" reads these).
KNOWN_CODE_REJECTIONS = frozenset(
    {
        ErrorCode.VOUCHER_ALREADY_REDEEMED,
        ErrorCode.VOUCHER_STORE_NOT_APPLICABLE,
        ErrorCode.VOUCHER_VOIDED,
        ErrorCode.VOUCHER_EXPIRED,
        ErrorCode.VOUCHER_NOT_YET_VALID,
    }
)


@dataclass(frozen=True, slots=True)
class GuessLimits:
    """Unknown codes allowed in a sliding window, per terminal and per store."""

    per_terminal: int = 20
    per_store: int = 60
    window_s: int = 60


class Gate:
    """The throttle check of one scan, run inside the scan's own transaction when it has one
    (so that an allowed scan costs one indexed count, not an extra transaction)."""

    def __init__(self, terminal: Terminal, now: datetime, limits: GuessLimits) -> None:
        self.terminal, self.now, self.limits = terminal, now, limits
        self.checked = False
        self.refused: tuple[str, int, int] | None = None  # scope, misses at till, at store
        self.scanned: ScannedCode | None = None
        # Our code the scan read (id, value): a refusal's audit row names it without reading
        # it again (a refused scan cost twice a prepare, issue #20).
        self.code: tuple[int, str] | None = None

    def classify(self, raw_code: str) -> ScannedCode:
        """Read the scanned text once (an unreadable one counts as an unknown code)."""
        self.scanned = classify_code(raw_code)
        return self.scanned

    @property
    def since(self) -> datetime:
        """Where the counting window starts."""
        return self.now - timedelta(seconds=self.limits.window_s)

    def __call__(self, uow: UnitOfWork) -> None:
        """Raise 429 `rate_limited` when the till or its store had too many unknown codes."""
        terminal = self.terminal
        at_store, at_till = uow.repo(GuessRepo).guess_counts(
            terminal.store_id, terminal.id, self.since
        )
        self.check_counts(uow, at_store, at_till)

    def check_counts(self, uow: UnitOfWork, at_store: int, at_till: int) -> None:
        """The same check on counts the caller read with its own first statement (the scan
        of one of our codes reads them with the order: ScanRepo)."""
        self.checked = True
        terminal, limits, since = self.terminal, self.limits, self.since
        if at_till < limits.per_terminal and at_store < limits.per_store:
            return
        scope = "terminal" if at_till >= limits.per_terminal else "store"
        oldest = uow.repo(GuessRepo).oldest_miss(
            terminal.store_id, terminal.id if scope == "terminal" else None, since
        )
        self.refused = (scope, at_till, at_store)
        window = timedelta(seconds=limits.window_s)
        wait = max(1, math.ceil((oldest + window - self.now).total_seconds()))
        raise DomainError(ErrorCode.RATE_LIMITED, retry_after_s=wait, scope=scope)

    def check_alone(self, make_uow: UnitOfWorkFactory) -> None:
        """The same check in a transaction of its own (paths that have none to share)."""
        with make_uow() as uow:
            self(uow)


@contextmanager
def guarded(
    make_uow: UnitOfWorkFactory,
    terminal: Terminal,
    raw_code: str,
    now: datetime,
    limits: GuessLimits,
) -> Iterator[Gate]:
    """Hand out the scan's gate; afterwards count a miss, audit a refused known code, or note
    the burst that got throttled. The caller runs the gate before it reads the code."""
    gate = Gate(terminal, now, limits)
    try:
        yield gate
    except DomainError as exc:
        error = exc
        try:
            if error.code is ErrorCode.VOUCHER_NOT_FOUND and not gate.checked:
                gate.check_alone(make_uow)  # refused before the gate ran (an unreadable code)
            if error.code is ErrorCode.VOUCHER_NOT_FOUND:
                record_miss(make_uow, terminal, now, limits)
            elif error.code in KNOWN_CODE_REJECTIONS:
                record_rejection(make_uow, terminal, gate, error, now)
        except DomainError as refused:
            error = refused
        except Exception:  # the cashier must see the real answer, not a bookkeeping failure
            log.exception("throttle.record_failed", terminal_id=terminal.id)
        try:
            if gate.refused is not None:
                _note_burst(make_uow, terminal, now, *gate.refused, limits)
        except Exception:
            log.exception("throttle.record_failed", terminal_id=terminal.id)
        if error is exc:
            raise
        raise error from None


def _note_burst(
    make_uow: UnitOfWorkFactory,
    terminal: Terminal,
    now: datetime,
    scope: str,
    at_till: int,
    at_store: int,
    limits: GuessLimits,
) -> None:
    """One audit row per burst: the first refusal in a window writes it, the rest do not."""
    since = now - timedelta(seconds=limits.window_s)
    with make_uow(write=True) as uow:
        if uow.repo(GuessRepo).throttle_noted(terminal.store_id, terminal.id, since):
            return
        uow.repo(GuessRepo).add_attempt(
            terminal.merchant_id, terminal.store_id, terminal.id, "throttled", now
        )
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action="voucher.guess_throttled",
            subject=f"terminal:{terminal.id}",
            before=None,
            after={
                "scope": scope,
                "unknown_codes_terminal": at_till,
                "unknown_codes_store": at_store,
                "limit_terminal": limits.per_terminal,
                "limit_store": limits.per_store,
                "window_s": limits.window_s,
            },
            now=now,
            store_id=terminal.store_id,
        )
        uow.commit()
    log.warning("voucher.guess_throttled", terminal_id=terminal.id, scope=scope)


def record_miss(
    make_uow: UnitOfWorkFactory, terminal: Terminal, now: datetime, limits: GuessLimits
) -> None:
    """Count one unknown code; rows older than a few windows go, nobody counts them."""
    with make_uow(write=True) as uow:
        uow.repo(GuessRepo).add_attempt(
            terminal.merchant_id, terminal.store_id, terminal.id, "miss", now
        )
        uow.repo(GuessRepo).prune_attempts(
            terminal.store_id, now - timedelta(seconds=limits.window_s * 5)
        )
        uow.commit()


def record_rejection(
    make_uow: UnitOfWorkFactory, terminal: Terminal, gate: Gate, error: DomainError, now: datetime
) -> None:
    """Audit a refused scan of a code we know, with the store and till that tried it."""
    if gate.scanned is None:
        return
    with make_uow(write=True) as uow:
        if gate.code is not None:
            code_id, value = gate.code
        else:  # refused before the scan read it (a platform's answer, a lost race)
            code = uow.repo(CodeRepo).find(terminal.merchant_id, gate.scanned.value)
            if code is None:
                return
            code_id, value = code.id, code.code
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="terminal",
            actor_id=str(terminal.id),
            action="voucher.attempt_rejected",
            subject=f"code:{code_id}",
            before=None,
            after={"code_id": code_id, "code": mask_code(value), "reason": error.code.value},
            now=now,
            store_id=terminal.store_id,
        )
        uow.commit()
