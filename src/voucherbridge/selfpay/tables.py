"""A store's tables and their QR tokens, managed from the console by HQ or the store's manager.

Tables are added as ranges (``A1-A12``, ``B1-B4, VIP1``): each gets a random, unguessable token
(what its printed QR carries, `/wx/t/{token}`); adding a table that exists turns it on again,
disabling it makes its QR open nothing. Every change has its audit row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Store
from voucherbridge.selfpay.repository import StoreTable, StoreTableRepo

MAX_PER_ADD = 200
TOKEN_BYTES = 18  # 24 URL-safe characters: 144 random bits
_RANGE = re.compile(r"^([A-Za-z]{0,8})(\d{1,4})-(?:([A-Za-z]{0,8}))?(\d{1,4})$")
_ONE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_SPLIT = re.compile(r"[\s,,、;;]+")


def table_numbers(spec: str) -> list[str]:
    """``A1-A12, B3`` -> A1 … A12, B3 (in that order, each once); `table_range_invalid`
    for anything else or more than 200."""
    found: list[str] = []
    for part in (p for p in _SPLIT.split(spec.strip()) if p):
        match = _RANGE.match(part)
        if match:
            prefix, start, again, end = match.groups()
            if again not in (None, "", prefix) or int(end) < int(start):
                raise DomainError(ErrorCode.TABLE_RANGE_INVALID, value=part[:40])
            if int(end) - int(start) >= MAX_PER_ADD:
                raise DomainError(ErrorCode.TABLE_RANGE_INVALID, value=part[:40])
            found += [f"{prefix.upper()}{n}" for n in range(int(start), int(end) + 1)]
        elif _ONE.match(part):
            found.append(part.upper())
        else:
            raise DomainError(ErrorCode.TABLE_RANGE_INVALID, value=part[:40])
    unique = list(dict.fromkeys(found))
    if not unique or len(unique) > MAX_PER_ADD:
        raise DomainError(ErrorCode.TABLE_RANGE_INVALID, value=spec.strip()[:40] or "—")
    return unique


def _store(uow: UnitOfWork, actor: Actor, store_id: int) -> Store:
    actor.require_store(store_id)
    store = uow.repo(StoreRepo).get(actor.merchant_id, store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, what="store")
    return store


def store_tables(uow: UnitOfWork, *, actor: Actor, store_id: int) -> tuple[Store, list[StoreTable]]:
    """The store and its tables (A2 before A10)."""
    with uow:
        store = _store(uow, actor, store_id)
        return store, uow.repo(StoreTableRepo).of_store(actor.merchant_id, store_id)


def add_tables(
    uow: UnitOfWork, *, actor: Actor, store_id: int, spec: str, now: datetime
) -> list[str]:
    """Add the tables `spec` names (HQ or the store's manager); the numbers added."""
    numbers = table_numbers(spec)
    with uow:
        actor.require_manager()
        _store(uow, actor, store_id)
        actor.require_change(frozenset({store_id}))
        repo = uow.repo(StoreTableRepo)
        before = {t.table_no for t in repo.of_store(actor.merchant_id, store_id)}
        rows = [(no, secrets.token_urlsafe(TOKEN_BYTES)) for no in numbers]
        repo.add_missing(actor.merchant_id, store_id, rows, now)
        added = [no for no in numbers if no not in before]
        uow.repo(AuditRepo).add(
            actor.merchant_id,
            actor_type="user",
            actor_id=str(actor.user_id),
            action="store.tables.add",
            subject=f"store:{store_id}",
            before=None,
            after={"added": added, "enabled": [no for no in numbers if no in before]},
            now=now,
            store_id=store_id,
        )
        uow.commit()
        return added


def set_tables_active(
    uow: UnitOfWork,
    *,
    actor: Actor,
    store_id: int,
    table_ids: Sequence[int],
    active: bool,
    now: datetime,
) -> int:
    """Disable (or enable again) tables of the store: a disabled table's QR opens nothing."""
    with uow:
        actor.require_manager()
        _store(uow, actor, store_id)
        actor.require_change(frozenset({store_id}))
        changed = uow.repo(StoreTableRepo).set_active(
            actor.merchant_id, store_id, table_ids, active
        )
        if not changed:
            raise DomainError(ErrorCode.NOT_FOUND, what="table")
        uow.repo(AuditRepo).add(
            actor.merchant_id,
            actor_type="user",
            actor_id=str(actor.user_id),
            action="store.tables.enable" if active else "store.tables.disable",
            subject=f"store:{store_id}",
            before=None,
            after={"table_ids": list(table_ids)},
            now=now,
            store_id=store_id,
        )
        uow.commit()
        return changed
