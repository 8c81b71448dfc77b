"""Cashier terminals (收银终端): one API key per till, tied to one store.

Only a hash of the key is stored; the plain key is shown once, when the terminal is issued.
Revoking takes effect at once: every Terminal API call resolves the key again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.auth import hash_secret, new_terminal_key
from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.chain.repository import StoreRepo, TerminalRepo
from voucherbridge.chain.stores import require_manager
from voucherbridge.chain.terminal_repository import TerminalEditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.commands import UNSET, Maybe
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal

KEY_PREFIX_LENGTH = 8


@dataclass(frozen=True, kw_only=True)
class TerminalView:
    """What the console shows of a terminal: never the key nor its hash (times in ISO 8601,
    in the merchant's zone)."""

    id: int
    store_id: int
    name: str
    key_prefix: str
    active: bool
    created_at: str
    revoked_at: str | None
    web_session: bool = False  # a cashier's page session, not a till: never re-enabled

    @classmethod
    def of(cls, terminal: Terminal, zone: ZoneInfo) -> TerminalView:
        return cls(
            id=terminal.id,
            store_id=terminal.store_id,
            name=terminal.name,
            key_prefix=terminal.key_prefix,
            active=terminal.revoked_at is None,
            created_at=iso(terminal.created_at, zone) or "",  # never empty: created_at is set
            revoked_at=iso(terminal.revoked_at, zone),
            web_session=terminal.user_id is not None,
        )


@dataclass(frozen=True, kw_only=True)
class IssuedTerminal(TerminalView):
    """A terminal just issued, with its API key: the only time the key is ever shown."""

    key: str


def issue_terminal(
    uow: UnitOfWork, *, actor: Actor, store_id: int, name: str, now: datetime
) -> IssuedTerminal:
    """Register a till for a store and return its key; the key is never shown again."""
    require_manager(actor)
    clean_name = _name(name)
    with uow:
        store = uow.repo(StoreRepo).get(actor.merchant_id, store_id)
        if store is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="store")
        actor.require_change(frozenset({store.id}))
        key = new_terminal_key()
        terminal_id = uow.repo(TerminalRepo).add(
            actor.merchant_id,
            store_id=store.id,
            name=clean_name,
            key_prefix=key[:KEY_PREFIX_LENGTH],
            key_hash=hash_secret(key),
            now=now,
        )
        terminal = uow.repo(TerminalRepo).get(actor.merchant_id, terminal_id)
        assert terminal is not None
        view = TerminalView.of(terminal, merchant_zone(uow, actor.merchant_id))
        after = asdict(view)  # the audit row never holds the key
        record_admin_change(uow, actor, "terminal.issue", terminal_id, None, after, now)
        uow.commit()
        return IssuedTerminal(**after, key=key)


def list_terminals(uow: UnitOfWork, *, actor: Actor) -> list[TerminalView]:
    """Terminals of the chain for HQ, of their own stores for a manager; keys never included."""
    with uow:
        zone = merchant_zone(uow, actor.merchant_id)
        terminals = uow.repo(TerminalRepo).list(actor.merchant_id, only_stores=actor.store_ids)
        return [TerminalView.of(t, zone) for t in terminals]


def revoke_terminal(
    uow: UnitOfWork, *, actor: Actor, terminal_id: int, now: datetime
) -> TerminalView:
    """Refuse the terminal's key from now on; revoking twice changes nothing."""
    require_manager(actor)
    with uow:
        terminal = uow.repo(TerminalRepo).get(actor.merchant_id, terminal_id)
        if terminal is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="terminal")
        actor.require_change(frozenset({terminal.store_id}))
        zone = merchant_zone(uow, actor.merchant_id)
        before = TerminalView.of(terminal, zone)
        if terminal.revoked_at is None:
            uow.repo(TerminalRepo).revoke(actor.merchant_id, terminal.id, now)
        revoked = uow.repo(TerminalRepo).get(actor.merchant_id, terminal.id)
        assert revoked is not None
        view = TerminalView.of(revoked, zone)
        if view != before:
            record_admin_change(
                uow, actor, "terminal.revoke", terminal.id, asdict(before), asdict(view), now
            )
        uow.commit()
        return view


def update_terminal(
    uow: UnitOfWork,
    *,
    actor: Actor,
    terminal_id: int,
    name: Maybe[str] = UNSET,
    active: Maybe[bool] = UNSET,
    now: datetime,
) -> TerminalView:
    """Rename a till, disable it (its key is refused at once) or enable it again (the same key
    works again); a cashier's web terminal is never re-enabled (the cashier signs in again)."""
    require_manager(actor)
    clean_name = _name(name) if name is not UNSET else None
    if active is not UNSET and not isinstance(active, bool):
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
    with uow:
        terminal = uow.repo(TerminalRepo).get(actor.merchant_id, terminal_id)
        if terminal is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="terminal")
        actor.require_change(frozenset({terminal.store_id}))
        zone = merchant_zone(uow, actor.merchant_id)
        before = TerminalView.of(terminal, zone)
        repo, edits = uow.repo(TerminalRepo), uow.repo(TerminalEditRepo)
        if clean_name is not None and clean_name != terminal.name:
            edits.rename(actor.merchant_id, terminal.id, clean_name)
        if active is False and terminal.revoked_at is None:
            repo.revoke(actor.merchant_id, terminal.id, now)
        if active is True and terminal.revoked_at is not None:
            if terminal.user_id is not None:
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="active")
            edits.restore(actor.merchant_id, terminal.id)
        changed = repo.get(actor.merchant_id, terminal.id)
        assert changed is not None
        view = TerminalView.of(changed, zone)
        if view != before:
            verb = "update" if view.active == before.active else _VERBS[view.active]
            record_admin_change(
                uow, actor, f"terminal.{verb}", terminal.id, asdict(before), asdict(view), now
            )
        uow.commit()
        return view


def get_terminal(uow: UnitOfWork, *, actor: Actor, terminal_id: int) -> TerminalView:
    """One terminal of the actor's stores (never its key)."""
    with uow:
        terminal = uow.repo(TerminalRepo).get(actor.merchant_id, terminal_id)
        if terminal is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="terminal")
        actor.require_store(terminal.store_id)
        return TerminalView.of(terminal, merchant_zone(uow, actor.merchant_id))


_VERBS = {True: "enable", False: "revoke"}


def _name(value: object) -> str:
    clean = value.strip() if isinstance(value, str) else ""
    if not clean or len(clean) > 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="name")
    return clean
