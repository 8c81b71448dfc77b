"""Which platform client serves which binding test and outbox destination, from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voucherbridge.domain.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from voucherbridge.bootstrap import Container
    from voucherbridge.services.bindings import BindingTester
    from voucherbridge.services.outbox import Deliverer


def deliverers_for(container: Container) -> dict[str, Deliverer]:
    """Destinations the worker can deliver to; platform clients register here as they land."""
    del container
    return {}


def binding_tester(container: Container) -> BindingTester:
    """The signed test call of each platform, for binding a store."""
    del container

    def test(platform: str, platform_store_id: str, secret: str) -> str:
        raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=platform)

    return test
