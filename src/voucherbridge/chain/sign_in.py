"""Password sign-in for the console and the cashier page, with password guessing locked out.

Failures are counted per account in the database (so the lock holds across API processes) and
keyed by an HMAC of the name typed, never the name itself: people type passwords into the name
box. A known account's failure is also an audit row of its merchant, so the owner sees that
someone tried; an unknown name has no merchant and is only logged. While an account is locked
even the right password is refused, or the lock would only slow a guesser down.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import UserRepo
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import User

log = structlog.get_logger("voucherbridge.sign_in")

_hasher = PasswordHasher()
# Verifying against this keeps an unknown name's sign-in as slow as a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verified_user(
    uow: UnitOfWork, username: str, password: str, now: datetime, policy: SignInPolicy
) -> User:
    """The active user whose password this is, inside the caller's open write unit of work.

    A wrong name or password commits the counted failure (and its audit row) before raising
    `unauthorized`; a locked account raises `sign_in_locked` with the minutes left, before any
    password is checked.
    """
    account = policy.account(username)
    window = timedelta(seconds=policy.window_s)
    failures = uow.repo(UserRepo).sign_in_failures(account, now - window)
    if len(failures) >= policy.max_failures:
        wait_s = max(1, math.ceil((failures[0] + window - now).total_seconds()))
        log.warning("user.login.locked", failures=len(failures))
        raise DomainError(
            ErrorCode.SIGN_IN_LOCKED, minutes=math.ceil(wait_s / 60), retry_after_s=wait_s
        )
    user = uow.repo(UserRepo).by_username(username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except VerificationError:
        uow.repo(UserRepo).add_sign_in_failure(account, now, forget_before=now - window)
        if user is not None:
            _audit_failure(uow, user, len(failures) + 1, policy, now)
        uow.commit()
        log.warning("user.login.rejected", known=user is not None, failures=len(failures) + 1)
        raise DomainError(ErrorCode.UNAUTHORIZED) from None
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHORIZED)
    if failures:
        uow.repo(UserRepo).clear_sign_in_failures(account)
    return user


def _audit_failure(
    uow: UnitOfWork, user: User, count: int, policy: SignInPolicy, now: datetime
) -> None:
    uow.repo(AuditRepo).add(
        user.merchant_id,
        actor_type="user",
        actor_id=str(user.id),
        action="user.login_failed",
        subject=user.username,
        before=None,
        after={"failures": count, "locked": count >= policy.max_failures},
        now=now,
    )
