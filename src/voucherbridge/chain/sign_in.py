"""Password sign-in for the console and the cashier page, with password guessing locked out.

Failures are counted per account in the database (so the lock holds across API processes) and
keyed by an HMAC of the name typed, never the name itself: people type passwords into the name
box. A known account's failure is also an audit row of its merchant, so the owner sees that
someone tried; an unknown name has no merchant and is only logged. While an account is locked
even the right password is refused, or the lock would only slow a guesser down.

Locking: the lock-out decision is taken under a lock on the one account (UserRepo.
lock_sign_in_account), and every attempt is counted as a failure *before* its password is
checked; the right password takes its own count back. So however many attempts arrive at once,
through however many processes, at most `max_failures` of them get their password checked in a
window, and a refused attempt never reaches argon2. Argon2 is slow on purpose, so it runs with
no transaction open (no connection held, no SQLite write lock): the attempt is counted in one
short write transaction, the hash is checked, then the outcome is written in another. The hash
itself runs on a few low-priority threads of its own (`_argon2`), so that a flood of sign-ins
waits for them instead of taking the CPU from the tills.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn, TypeVar

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import UserRepo
from voucherbridge.core.metrics import SIGN_IN_LOCKOUTS
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import User

log = structlog.get_logger("voucherbridge.sign_in")

T = TypeVar("T")

_hasher = PasswordHasher()
# Verifying against this keeps an unknown name's sign-in as slow as a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# Each argon2 run takes 64 MiB and several CPU-tenths on purpose. They run on a few threads of
# their own at a lower CPU priority: a flood of sign-ins queues for them (bounded in memory)
# instead of taking the cores from the tills' requests. The caller holds no connection while
# it waits.
_ARGON2_THREADS = max(2, os.cpu_count() or 2)
_ARGON2_NICE = 10
_argon2_pool: ThreadPoolExecutor | None = None
_argon2_pool_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How many failed sign-ins an account gets in a sliding window before it is locked."""

    max_failures: int = 10
    window_s: int = 900
    account_key: bytes = b"voucherbridge-sign-in"

    def account(self, username: str) -> str:
        name = username.strip().lower().encode("utf-8", "replace")
        return hmac.new(self.account_key, name, hashlib.sha256).hexdigest()


DEFAULT_POLICY = SignInPolicy()


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One sign-in let through the lock-out: counted in advance as failure `attempt_id`, the
    `position`-th of its window; the user the name belongs to, as read then (None: unknown)."""

    account: str
    attempt_id: int
    position: int
    user: User | None


def hash_password(password: str) -> str:
    """An argon2 hash (slow on purpose): call it before opening a transaction, never inside."""
    return _argon2(lambda: str(_hasher.hash(password)))


def _argon2(work: Callable[[], T]) -> T:
    """Run one argon2 hash or check on the argon2 threads and wait for it."""
    global _argon2_pool
    with _argon2_pool_lock:
        if _argon2_pool is None:
            _argon2_pool = ThreadPoolExecutor(
                _ARGON2_THREADS, thread_name_prefix="argon2", initializer=_lower_priority
            )
        pool = _argon2_pool
    return pool.submit(work).result()


def _lower_priority() -> None:
    # On Linux the nice value is per thread, and argon2's own lane threads inherit it.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _ARGON2_NICE)


def sign_in(
    uow: UnitOfWork,
    username: str,
    password: str,
    now: datetime,
    policy: SignInPolicy,
    then: Callable[[UnitOfWork, User], T],
) -> T:
    """Check `username`'s password; if it is right, run `then(uow, user)` in one write
    transaction, commit it and return what `then` returned.

    `uow` is a write unit of work that is not open: this opens it three times, never across
    the password check. A locked account raises `sign_in_locked` with the minutes left before
    any password is checked; a wrong name or password (or a deactivated user) raises
    `unauthorized` with the failure counted (and, for a real account, audited). If `then`
    refuses the sign-in (raises), the attempt is neither a failure nor a success.
    """
    attempt = _let_through(uow, username, now, policy)
    user = attempt.user
    password_hash = user.password_hash if user else _DUMMY_HASH
    if not _password_matches(password_hash, password) or user is None or not user.active:
        _reject(uow, attempt, policy, now)
    try:
        with uow:
            repo = uow.repo(UserRepo)
            current = repo.get(user.merchant_id, user.id)
            if current is None or not current.active or current.password_hash != password_hash:
                raise DomainError(ErrorCode.UNAUTHORIZED)  # changed while the hash was checked
            repo.forget_sign_in_failures(attempt.account, up_to_id=attempt.attempt_id)
            result = then(uow, current)
            uow.commit()
            return result
    except BaseException:
        _take_back(uow, attempt)
        raise


def _let_through(uow: UnitOfWork, username: str, now: datetime, policy: SignInPolicy) -> _Attempt:
    """Count the attempt as a failure under the account's lock, or refuse it if locked."""
    account = policy.account(username)
    window = timedelta(seconds=policy.window_s)
    with uow:
        repo = uow.repo(UserRepo)
        repo.lock_sign_in_account(account)
        failures = repo.sign_in_failures(account, now - window)
        if len(failures) >= policy.max_failures:
            wait_s = max(1, math.ceil((failures[0] + window - now).total_seconds()))
            log.warning("user.login.locked", failures=len(failures))
            SIGN_IN_LOCKOUTS.inc()
            raise DomainError(
                ErrorCode.SIGN_IN_LOCKED, minutes=math.ceil(wait_s / 60), retry_after_s=wait_s
            )
        attempt_id = repo.add_sign_in_failure(account, now, forget_before=now - window)
        user = repo.by_username(username)
        uow.commit()
    return _Attempt(account, attempt_id, len(failures) + 1, user)


def _password_matches(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return bool(_hasher.verify(password_hash, password))
        except VerificationError:
            return False

    return _argon2(check)


def _reject(uow: UnitOfWork, attempt: _Attempt, policy: SignInPolicy, now: datetime) -> NoReturn:
    """The attempt stays a failure; a real account's merchant gets an audit row of it."""
    user = attempt.user
    if user is not None:
        with uow:
            uow.repo(AuditRepo).add(
                user.merchant_id,
                actor_type="user",
                actor_id=str(user.id),
                action="user.login_failed",
                subject=user.username,
                before=None,
                after={
                    "failures": attempt.position,
                    "locked": attempt.position >= policy.max_failures,
                },
                now=now,
            )
            uow.commit()
    log.warning("user.login.rejected", known=user is not None, failures=attempt.position)
    raise DomainError(ErrorCode.UNAUTHORIZED)


def _take_back(uow: UnitOfWork, attempt: _Attempt) -> None:
    """The right password, refused for another reason: the attempt is no failure after all."""
    try:
        with uow:
            uow.repo(UserRepo).drop_sign_in_failure(attempt.attempt_id)
            uow.commit()
    except Exception:  # the refusal itself is what the caller must see
        log.exception("user.login.take_back_failed")
