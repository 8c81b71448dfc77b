"""Cashier page sign-in: a till's key, or a cashier user who gets a web terminal of their own.

The page only ever talks to the Terminal API, so a cashier user signs in by being handed a
terminal key: their store's "网页收银台 · {username}" terminal, with a fresh key on every login.
The previous key of that web terminal is revoked at once, so a forgotten browser at another
counter stops working when the cashier signs in elsewhere. Signing out, a password reset by HQ
and the user's deactivation revoke it too, and every request re-checks that its user is active
(TerminalRepo.by_key_hash), so a copied cookie dies with the session.

The till's network printer follows the cashier from shift to shift: a new web terminal takes
the printer of the cashier's previous web terminal at that store (set, changed or cleared in the
console on the terminal of any earlier shift; the latest one counts). Copying, not reusing the
old row, keeps revocation final (a revoked key never comes back to life, whoever revoked it and
why) and keeps one terminal per session in the audit trail; the copy is written in the
`cashier.login` audit row (the printer and the terminal it came from).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.catalogue.items import ItemView
from voucherbridge.chain.auth import (
    hash_secret,
    new_terminal_key,
    require_active_merchant,
    resolve_terminal,
)
from voucherbridge.chain.printer_repository import TerminalPrinterRepo
from voucherbridge.chain.repository import StoreRepo, TerminalRepo
from voucherbridge.chain.sign_in import DEFAULT_POLICY, SignInPolicy, sign_in
from voucherbridge.chain.terminals import KEY_PREFIX_LENGTH
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal, User

WEB_TERMINAL_NAME = "网页收银台 · {username}"
COUNTER_ROLES = ("cashier", "store_manager")
# The seed's bill (table S001, ten guests): what 新开单 opens when no dish was picked.
DEMO_BILL: tuple[tuple[str, int], ...] = (("BEER01", 2), ("WLJ01", 1), ("SOUP01", 1))
DEMO_TABLE, DEMO_GUESTS, DEMO_SERVICE_FEE_FEN = "S001", 10, 100


def check_terminal_key(uow: UnitOfWork, key: str) -> Terminal:
    """A till signing in with its own key: the key must be live right now."""
    return resolve_terminal(uow, key.strip() if isinstance(key, str) else None)


def open_cashier_session(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    now: datetime,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> tuple[str, Terminal]:
    """Check the cashier's password; return a fresh key for their web terminal (old one revoked).

    `uow` is a write unit of work, not open: the password is checked outside any transaction.
    """
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip():
        raise DomainError(ErrorCode.UNAUTHORIZED)
    return sign_in(uow, username.strip(), password, now, policy, _web_terminal_key(now))


def _web_terminal_key(now: datetime) -> Callable[[UnitOfWork, User], tuple[str, Terminal]]:
    def issue(uow: UnitOfWork, user: User) -> tuple[str, Terminal]:
        require_active_merchant(uow, user)
        # A counter belongs to one store: HQ accounts and multi-store managers use a till key.
        if user.role not in COUNTER_ROLES or len(user.store_ids) != 1:
            raise DomainError(ErrorCode.FORBIDDEN)
        (store_id,) = user.store_ids
        store = uow.repo(StoreRepo).get(user.merchant_id, store_id)
        if store is None:
            raise DomainError(ErrorCode.FORBIDDEN)
        if not store.active:  # a closed store opens no counter, and says so
            raise DomainError(ErrorCode.STORE_DISABLED)
        name = WEB_TERMINAL_NAME.format(username=user.username)[:100]
        # One cashier-page session per user, wherever the previous one was opened.
        uow.repo(TerminalRepo).revoke_web_terminals(user.merchant_id, user.id, now)
        key = new_terminal_key()
        terminal_id = uow.repo(TerminalRepo).add(
            user.merchant_id,
            store_id=store_id,
            name=name,
            key_prefix=key[:KEY_PREFIX_LENGTH],
            key_hash=hash_secret(key),
            now=now,
            user_id=user.id,
        )
        carried = _carry_printer(uow, user, store_id, terminal_id)
        uow.repo(AuditRepo).add(
            user.merchant_id,
            actor_type="user",
            actor_id=str(user.id),
            action="cashier.login",
            subject=f"terminal:{terminal_id}",
            before=None,
            after=carried,
            now=now,
        )
        terminal = uow.repo(TerminalRepo).get(user.merchant_id, terminal_id)
        assert terminal is not None
        return key, terminal

    return issue


def _carry_printer(
    uow: UnitOfWork, user: User, store_id: int, terminal_id: int
) -> dict[str, Any] | None:
    """Give the new web terminal the printer of the user's previous one at the store; what the
    audit row says of it (None: no earlier shift at this store, or it had no printer)."""
    earlier = [
        t.id
        for t in uow.repo(TerminalRepo).list(user.merchant_id, frozenset({store_id}))
        if t.user_id == user.id and t.id != terminal_id
    ]
    if not earlier:
        return None
    printers = uow.repo(TerminalPrinterRepo)
    address = printers.get(user.merchant_id, max(earlier))
    if address is None:
        return None
    printers.set(user.merchant_id, terminal_id, address)
    return {
        "printer": address.label,
        "printer_width_mm": address.width_mm,
        "printer_from_terminal": max(earlier),
    }


def close_cashier_session(uow: UnitOfWork, key: str | None, *, now: datetime) -> None:
    """Signing out of the cashier page: a cashier's web terminal is revoked, so its key (a
    copied cookie included) stops working at once. A till's own key signs out only its page;
    the till keeps its key. An unknown or dead key is already signed out."""
    if not key or not isinstance(key, str):
        return
    key_hash = hash_secret(key)
    with uow:
        terminal = uow.repo(TerminalRepo).open_web_terminal(key_hash)
        if terminal is None or terminal.user_id is None:
            return
        uow.repo(TerminalRepo).revoke(terminal.merchant_id, terminal.id, now)
        uow.repo(AuditRepo).add(
            terminal.merchant_id,
            actor_type="user",
            actor_id=str(terminal.user_id),
            action="cashier.logout",
            subject=f"terminal:{terminal.id}",
            before=None,
            after=None,
            now=now,
        )
        uow.commit()


# The page context stays a dict: it is the Jinja context of cashier/counter.html (routes.py adds
# the CSRF token to it) and the demo bill is handed to cashier.js as JSON; it is no API answer.
def counter_context(uow: UnitOfWork, *, terminal: Terminal) -> dict[str, Any]:
    """What the cashier page shows around the scan box: the till, its store, the dishes to bill."""
    with uow:
        store = uow.repo(StoreRepo).get(terminal.merchant_id, terminal.store_id)
        items = uow.repo(ItemRepo).list(terminal.merchant_id)
    active = [i for i in items if i.active]
    by_code = {i.item_code: i for i in active}
    bill = [(by_code[code], qty) for code, qty in DEMO_BILL if code in by_code]
    if not bill and active:
        bill = [(active[0], 1)]
    return {
        "terminal_name": terminal.name,
        "store_name": store.name if store else "",
        "items": [ItemView.of(i) for i in active],
        "demo_order": {
            "table": DEMO_TABLE,
            "guests": DEMO_GUESTS,
            "service_fee_fen": DEMO_SERVICE_FEE_FEN,
            "lines": [
                {
                    "item_code": i.item_code,
                    "name": i.name,
                    "unit": i.unit,
                    "quantity": qty,
                    "unit_price_fen": i.unit_price_fen,
                }
                for i, qty in bill
            ],
        },
    }
