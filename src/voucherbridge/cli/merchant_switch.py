"""`voucherbridge deactivate-merchant ID` and `reactivate-merchant ID`. Commands only wire.

The server's operator stops (or serves again) a whole chain: its tills, cashier pages and
console sessions are refused from their next request on; nothing is revoked, so reactivating
brings the chain back as it was.
"""

from __future__ import annotations

import typer

from voucherbridge.bootstrap import build
from voucherbridge.chain import merchants
from voucherbridge.cli.startup import load_settings
from voucherbridge.domain.errors import DomainError
from voucherbridge.i18n.catalogue import render


def _switch(merchant_id: int, active: bool) -> None:
    container = build(load_settings())
    try:
        status = merchants.set_merchant_active(
            container.uow(write=True), merchant_id=merchant_id, active=active, now=container.clock()
        )
    except DomainError as exc:
        typer.echo(f"{exc.code}: {render(exc.code, exc.params)}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        container.engine.dispose()
    state = "active" if status.active else "deactivated"
    typer.echo(f"merchant {status.name} id={status.id} is {state}")


def deactivate_merchant(merchant_id: int) -> None:
    """Stop a merchant: its tills, cashier pages and console sessions are refused at once."""
    _switch(merchant_id, False)


def reactivate_merchant(merchant_id: int) -> None:
    """Serve a deactivated merchant again (its keys and sessions were kept, not revoked)."""
    _switch(merchant_id, True)
