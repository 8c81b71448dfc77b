"""Binding a store to Meituan through the merchant's own authorization (美团商家授权).

The console sends the merchant to Meituan's authorization page with our app key, the callback
address and a sealed ``state`` naming the merchant, the user, our store and the Meituan shop;
Meituan sends the browser back with an ``auth_code``; we exchange it (repeating the callback
address) for the merchant session and bind the store with it, after the same test call as any
binding (the shop must be in the session's scope). The session, its ``bid`` and refresh data
are what the binding keeps, sealed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Protocol
from urllib.parse import urlencode

from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.crypto import ExpiringSeal
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.bindings import BindingTester, BindingView, SecretSealer, bind_store

PLATFORM = "meituan"
STATE_TTL_S = 15 * 60  # an authorization left open longer than this is started again
CALLBACK_PATH = "/console/bindings/meituan/callback"
SIMULATOR_PAGE = "/dz-open/merchant/auth"


def state_seal(secret_key: str) -> ExpiringSeal:
    return ExpiringSeal(secret_key, b"meituan authorization state v1", STATE_TTL_S)


class SessionExchange(Protocol):
    """``auth_code`` + the callback address -> the binding secret (the session, sealed later)."""

    def __call__(self, auth_code: str, redirect_url: str) -> str: ...


def authorization_url(
    make_uow: UnitOfWorkFactory,
    *,
    actor: Actor,
    store_id: int,
    shop_id: str,
    authorize_url: str,
    app_key: str,
    redirect_url: str,
    seal: ExpiringSeal,
    now: datetime,
) -> str:
    """Where to send the merchant's browser to authorize our app for ``shop_id``."""
    actor.require_manager()
    actor.require_change(frozenset({store_id}))
    shop_id = shop_id.strip()
    if not 0 < len(shop_id) <= 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform_store_id")
    with make_uow() as uow:
        if uow.repo(StoreRepo).get(actor.merchant_id, store_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="store")
    claim = {"m": actor.merchant_id, "u": actor.user_id, "s": store_id, "p": shop_id}
    state = seal.seal(json.dumps(claim, separators=(",", ":")), now)
    query = urlencode({"app_key": app_key, "redirect_url": redirect_url, "state": state})
    return f"{authorize_url}?{query}"


def complete_authorization(
    make_uow: UnitOfWorkFactory,
    *,
    actor: Actor,
    state: str,
    auth_code: str,
    redirect_url: str,
    exchange: SessionExchange,
    tester: BindingTester,
    sealer: SecretSealer,
    seal: ExpiringSeal,
    now: datetime,
) -> BindingView:
    """Meituan sent the browser back: bind the store named in ``state`` with the session."""
    claim = _claim(seal.open(state, now), actor)
    if not auth_code or len(auth_code) > 256:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="auth_code")
    secret = exchange(auth_code, redirect_url)
    return bind_store(
        make_uow,
        actor=actor,
        store_id=claim[0],
        platform=PLATFORM,
        platform_store_id=claim[1],
        secret=secret,
        tester=tester,
        sealer=sealer,
        now=now,
    )


def _claim(opened: str | None, actor: Actor) -> tuple[int, str]:
    """The store and shop of a state this user started, still fresh; anything else refused."""
    try:
        claim = json.loads(opened) if opened is not None else None
    except ValueError:
        claim = None
    if (
        not isinstance(claim, dict)
        or claim.get("m") != actor.merchant_id
        or claim.get("u") != actor.user_id
        or not isinstance(claim.get("s"), int)
        or not isinstance(claim.get("p"), str)
    ):
        raise DomainError(ErrorCode.AUTHORIZATION_STATE_INVALID, platform=PLATFORM)
    return claim["s"], claim["p"]
