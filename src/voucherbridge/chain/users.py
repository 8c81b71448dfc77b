"""Console users: HQ admins (whole chain), store managers and cashiers (their own stores).

Only HQ manages users. Passwords follow `chain.passwords` and are kept as argon2 hashes;
changing a password or deactivating a user ends the sessions they have open: console tokens and
the cashier page's web terminal alike (moving a cashier to other stores ends the web terminal
too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.passwords import check_length, check_strength
from voucherbridge.chain.repository import MerchantRepo, StoreRepo, TerminalRepo, UserRepo
from voucherbridge.chain.sign_in import hash_password
from voucherbridge.core.actor import CHAIN_WIDE, Actor
from voucherbridge.core.commands import UNSET, Maybe
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Merchant, User

ROLES = ("hq_admin", "store_manager", "cashier")


@dataclass(frozen=True, kw_only=True)
class UserView:
    """A user without the password hash; `store_ids` None means the whole chain."""

    id: int
    username: str
    display_name: str
    role: str
    store_ids: list[int] | None
    active: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            store_ids=None if user.role == "hq_admin" else sorted(user.store_ids),
            active=user.active,
        )


@dataclass(frozen=True, kw_only=True)
class MerchantView:
    """A merchant as its users see it (me) and as its creation is recorded."""

    id: int
    name: str
    timezone: str

    @classmethod
    def of(cls, merchant: Merchant) -> MerchantView:
        return cls(id=merchant.id, name=merchant.name, timezone=merchant.timezone)


@dataclass(frozen=True, kw_only=True)
class MeView(UserView):
    """The signed-in user and their merchant."""

    merchant: MerchantView


@dataclass(frozen=True, kw_only=True)
class UserChanges:
    """An edit of a user (HQ only): only the fields set are changed; UNSET leaves one as it is."""

    active: Maybe[bool] = UNSET
    store_ids: Maybe[Sequence[int]] = UNSET
    password: Maybe[str] = UNSET
    display_name: Maybe[str] = UNSET


def create_user(
    uow: UnitOfWork,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    store_ids: Sequence[int] = (),
    display_name: str = "",
    now: datetime,
) -> UserView:
    """Create a console user (HQ only); usernames are unique across all merchants."""
    actor.require_hq()
    name = _username(username)
    if role not in ROLES:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="role")
    check_length(password)
    display = _display_name(display_name)
    with uow:
        known = [name, display, *_chain_words(uow, actor.merchant_id)]
    check_strength(password, known=known)
    password_hash = hash_password(password)  # slow on purpose: never inside the transaction
    with uow:
        if uow.repo(MerchantRepo).get(actor.merchant_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="merchant")
        scope = _store_scope(uow, actor, role, store_ids)
        actor.require_change(frozenset(scope))  # an HQ user's empty list: the whole chain
        view = add_user(
            uow,
            actor=actor,
            username=name,
            display_name=display,
            password_hash=password_hash,
            role=role,
            store_ids=scope,
            now=now,
        )
        uow.commit()
        return view


def add_user(
    uow: UnitOfWork,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    store_ids: Sequence[int],
    now: datetime,
) -> UserView:
    """Insert a checked user and its audit row in the caller's transaction."""
    if uow.repo(UserRepo).by_username(username) is not None:
        raise DomainError(ErrorCode.CONFLICT, what="user", field="username")
    user_id = uow.repo(UserRepo).add(
        actor.merchant_id,
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        role=role,
        store_ids=store_ids,
        now=now,
    )
    user = uow.repo(UserRepo).get(actor.merchant_id, user_id)
    assert user is not None
    view = UserView.of(user)
    record_admin_change(uow, actor, "user.create", user_id, None, asdict(view), now)
    return view


def checked_new_user(
    username: str, password: str, display_name: str, *, merchant_name: str
) -> tuple[str, str]:
    """The username and display name of a new user, once both and the password pass the rules."""
    check_length(password)
    name, display = _username(username), _display_name(display_name)
    check_strength(password, known=[name, display, merchant_name])
    return name, display


def update_user(
    uow: UnitOfWork, *, actor: Actor, user_id: int, changes: UserChanges, now: datetime
) -> UserView:
    """Activate or deactivate a user, change their stores, display name or password (HQ only)."""
    actor.require_hq()
    values: dict[str, Any] = {}  # column -> checked value, for UserRepo.update
    if changes.password is not UNSET:
        password = check_length(changes.password)
        with uow:
            known = _chain_words(uow, actor.merchant_id)
            target = uow.repo(UserRepo).get(actor.merchant_id, user_id)
            if target is None:
                raise DomainError(ErrorCode.NOT_FOUND, what="user")
        renamed = changes.display_name if isinstance(changes.display_name, str) else ""
        check_strength(password, known=[target.username, target.display_name, renamed, *known])
        # slow on purpose: never inside the transaction
        values["password_hash"] = hash_password(password)
    if changes.display_name is not UNSET:
        values["display_name"] = _display_name(changes.display_name)
    if changes.active is not UNSET:
        if not isinstance(changes.active, bool):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
        values["active"] = changes.active
    with uow:
        user = uow.repo(UserRepo).get(actor.merchant_id, user_id)
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="user")
        if user.id == actor.user_id and values.get("active") is False:
            # An admin locking themselves out leaves the chain without anyone to undo it.
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
        if changes.store_ids is not UNSET:
            values["store_ids"] = _store_scope(uow, actor, user.role, changes.store_ids)
        moved_to = frozenset(values["store_ids"]) if "store_ids" in values else None
        actor.require_change(_scope_of(user), moved_to)
        before = asdict(UserView.of(user))
        if values:
            uow.repo(UserRepo).update(actor.merchant_id, user.id, values)
        if "password_hash" in values or values.get("active") is False:
            uow.repo(UserRepo).revoke_tokens(user.id, now)
            uow.repo(TerminalRepo).revoke_web_terminals(actor.merchant_id, user.id, now)
        elif "store_ids" in values and set(values["store_ids"]) != set(user.store_ids):
            # The cashier page's session is a terminal of one store: moved, they sign in again.
            uow.repo(TerminalRepo).revoke_web_terminals(actor.merchant_id, user.id, now)
        updated = uow.repo(UserRepo).get(actor.merchant_id, user.id)
        assert updated is not None
        view = UserView.of(updated)
        after = asdict(view)
        if "password_hash" in values:
            after["password"] = "changed"  # the audit row says so, never what it became
        if after != before:
            record_admin_change(uow, actor, "user.update", user.id, before, after, now)
        uow.commit()
        return view


def list_users(uow: UnitOfWork, *, actor: Actor) -> list[UserView]:
    """Every console user of the merchant (HQ only)."""
    actor.require_hq()
    with uow:
        return [UserView.of(u) for u in uow.repo(UserRepo).list(actor.merchant_id)]


def get_me(uow: UnitOfWork, *, actor: Actor) -> MeView:
    """The calling user and their merchant."""
    with uow:
        user = uow.repo(UserRepo).get(actor.merchant_id, actor.user_id)
        merchant = uow.repo(MerchantRepo).get(actor.merchant_id)
        if user is None or merchant is None:
            raise DomainError(ErrorCode.UNAUTHORIZED)
        return MeView(**asdict(UserView.of(user)), merchant=MerchantView.of(merchant))


def _chain_words(uow: UnitOfWork, merchant_id: int) -> list[str]:
    """The merchant's and its stores' names: the first words a password guesser tries."""
    merchant = uow.repo(MerchantRepo).get(merchant_id)
    stores = [s.name for s in uow.repo(StoreRepo).list(merchant_id)]
    return [merchant.name, *stores] if merchant else stores


def _scope_of(user: User) -> frozenset[int]:
    """The stores a user acts in, as `Actor.require_change` weighs them: HQ, the whole chain."""
    return CHAIN_WIDE if user.role == "hq_admin" else frozenset(user.store_ids)


def _store_scope(uow: UnitOfWork, actor: Actor, role: str, store_ids: Any) -> list[int]:
    """HQ admins have no store list; managers and cashiers need at least one store of ours."""
    if isinstance(store_ids, str | bytes) or not isinstance(store_ids, Sequence):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_ids")
    if any(not isinstance(s, int) or isinstance(s, bool) for s in store_ids):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_ids")
    scope = sorted(set(store_ids))
    if role == "hq_admin":
        if scope:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_ids", reason="hq_admin")
        return []
    if not scope:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="store_ids", reason="empty")
    own = {s.id for s in uow.repo(StoreRepo).list(actor.merchant_id)}
    if not set(scope) <= own:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    return scope


def _username(value: Any) -> str:
    if not isinstance(value, str):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="username")
    name = value.strip()
    if not 2 <= len(name) <= 64 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="username")
    return name


def _display_name(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="display_name")
    return value.strip()
