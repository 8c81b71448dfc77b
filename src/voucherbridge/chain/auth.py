"""Who is calling: terminal keys (one per till) and console users with bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.chain.sign_in import DEFAULT_POLICY, SignInPolicy, sign_in
from voucherbridge.chain.terminal_repository import TerminalEditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal, User

TERMINAL_KEY_PREFIX = "vbt_"
ADMIN_TOKEN_PREFIX = "vba_"


@dataclass(frozen=True, kw_only=True)
class SessionUserView:
    """Who a sign-in is for; `store_ids` None means the whole chain (HQ)."""

    id: int
    username: str
    role: str
    store_ids: list[int] | None

    @classmethod
    def of(cls, actor: Actor) -> SessionUserView:
        scope = None if actor.store_ids is None else sorted(actor.store_ids)
        return cls(id=actor.user_id, username=actor.username, role=actor.role, store_ids=scope)


@dataclass(frozen=True, kw_only=True)
class SignedIn:
    """A successful sign-in: the bearer token, until when it holds, and for whom."""

    token: str
    expires_at: datetime
    user: SessionUserView


def hash_secret(secret: str) -> str:
    """Keys and tokens carry 256 random bits, so one SHA-256 is enough to store them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_terminal_key() -> str:
    return TERMINAL_KEY_PREFIX + secrets.token_urlsafe(32)


def resolve_terminal(uow: UnitOfWork, key: str | None) -> Terminal:
    """The terminal a key belongs to, checked afresh at every request in one lookup: unknown or
    revoked keys, tills of an inactive merchant, and a cashier's web terminal whose user was
    deactivated are refused with `unauthorized`; a live key of a disabled store with
    `store_disabled`."""
    key = terminal_key_shaped(key)
    with uow:
        return terminal_in(uow, key)


def terminal_key_shaped(key: str | None) -> str:
    """The key if it has a terminal key's shape; `unauthorized` without asking the database."""
    if not key or not key.startswith(TERMINAL_KEY_PREFIX) or len(key) > 128:
        raise DomainError(ErrorCode.UNAUTHORIZED)
    return key


def terminal_in(uow: UnitOfWork, key: str | None) -> Terminal:
    """`resolve_terminal` inside a unit of work the caller holds open (and carries on in)."""
    key = terminal_key_shaped(key)
    key_hash = hash_secret(key)
    terminal = uow.repo(TerminalRepo).by_key_hash(key_hash)
    if terminal is None or terminal.revoked_at is not None:
        # Only on the refusal path: a live till of a disabled store is told so, in words.
        if uow.repo(TerminalEditRepo).store_closed_for_key(key_hash):
            raise DomainError(ErrorCode.STORE_DISABLED)
        raise DomainError(ErrorCode.UNAUTHORIZED)
    return terminal


def require_active_merchant(uow: UnitOfWork, user: User) -> None:
    """A deactivated merchant's users are refused at sign-in as a wrong password would be."""
    merchant = uow.repo(MerchantRepo).get(user.merchant_id)
    if merchant is None or not merchant.active:
        raise DomainError(ErrorCode.UNAUTHORIZED)


def actor_of(user: User, closed: frozenset[int] = frozenset()) -> Actor:
    """The user as the console and the admin API see them; `closed`: their disabled stores."""
    scope = None if user.role == "hq_admin" else frozenset(user.store_ids)
    shut = frozenset() if scope is None else closed & scope
    return Actor(user.id, user.merchant_id, user.username, user.role, scope, shut)


def closed_stores(uow: UnitOfWork, user: User) -> frozenset[int]:
    """The user's stores that HQ disabled (they stay readable, never writable); every one of
    them disabled is `store_disabled`: a store's staff with no open store have nothing to run,
    so they are refused at sign-in and their console sessions end at the next request."""
    if user.role == "hq_admin" or not user.store_ids:
        return frozenset()
    mine = frozenset(user.store_ids)
    open_ids = {s.id for s in uow.repo(StoreRepo).list(user.merchant_id, only=mine) if s.active}
    if not open_ids:
        raise DomainError(ErrorCode.STORE_DISABLED)
    return mine - open_ids


def login(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    now: datetime,
    ttl_hours: int,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> SignedIn:
    """Check the password and hand out a bearer token valid for `ttl_hours`.

    `uow` is a write unit of work, not open: the password is checked outside any transaction.
    """

    def hand_out_token(uow: UnitOfWork, user: User) -> SignedIn:
        require_active_merchant(uow, user)
        closed = closed_stores(uow, user)  # after the password: says nothing to a guesser
        token = ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + timedelta(hours=ttl_hours)
        uow.repo(UserRepo).add_token(user.id, hash_secret(token), now, expires_at)
        uow.repo(AuditRepo).add(
            user.merchant_id,
            actor_type="user",
            actor_id=str(user.id),
            action="user.login",
            subject=user.username,
            before=None,
            after=None,
            now=now,
        )
        who = SessionUserView.of(actor_of(user, closed))
        return SignedIn(token=token, expires_at=expires_at, user=who)

    return sign_in(uow, username, password, now, policy, hand_out_token)


def resolve_admin(uow: UnitOfWork, token: str | None, now: datetime) -> Actor:
    """The console user behind a bearer token; expired, revoked or unknown tokens, and those of
    a deactivated user or merchant, are refused (checked in the token's one lookup); so are
    those of a store's staff whose every store HQ has disabled (`store_disabled`)."""
    if not token or not token.startswith(ADMIN_TOKEN_PREFIX) or len(token) > 128:
        raise DomainError(ErrorCode.UNAUTHORIZED)
    with uow:
        user = uow.repo(UserRepo).by_token(hash_secret(token), now)
        if user is None:
            raise DomainError(ErrorCode.UNAUTHORIZED)
        return actor_of(user, closed_stores(uow, user))


def logout(uow: UnitOfWork, token: str | None, now: datetime) -> None:
    """End the console session behind `token`; an unknown or expired token is already over.

    The user's sessions on other PCs stay signed in.
    """
    if not token or not token.startswith(ADMIN_TOKEN_PREFIX) or len(token) > 128:
        return
    with uow:
        user = uow.repo(UserRepo).by_token(hash_secret(token), now)
        if user is None:
            return
        uow.repo(UserRepo).revoke_token(hash_secret(token), now)
        uow.repo(AuditRepo).add(
            user.merchant_id,
            actor_type="user",
            actor_id=str(user.id),
            action="user.logout",
            subject=user.username,
            before=None,
            after=None,
            now=now,
        )
        uow.commit()
