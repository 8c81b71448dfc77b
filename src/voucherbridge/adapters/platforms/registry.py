"""Which deliverer serves which outbox destination, built from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voucherbridge.bootstrap import Container
    from voucherbridge.services.outbox import Deliverer


def deliverers_for(container: Container) -> dict[str, Deliverer]:
    """Destinations the worker can deliver to; platform clients register here as they land."""
    del container
    return {}
