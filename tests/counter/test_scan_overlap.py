"""One scan box: a 12-digit number fits both Douyin and Meituan; prepare asks every bound
platform at once and the one that knows the code wins (the seed's wrong-entry problem)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import bind_all_stores
from voucherbridge.bootstrap import Container
from voucherbridge.chain.repository import UserRepo
from voucherbridge.counter import scan as counter
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PlatformGateway,
    PreparedCodes,
    VerifiedCode,
)

CODE = "620123456789"


class Platform:
    """Stands in for one platform's client: knows some codes, records who asked."""

    def __init__(self, name: str, knows: bool, down: bool = False) -> None:
        self.name, self.knows, self.down = name, knows, down
        self.asked: list[str] = []
        self.threads: set[str] = set()

    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        self.asked.append(code)
        self.threads.add(threading.current_thread().name)
        if self.down:
            raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=self.name)
        if not self.knows:
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code)
        certificate = PlatformCertificate(
            code=code,
            handle=code,
            title="100元代金券",
            product_id="deal-1",
            listing_id=None,
            value_fen=10000,
            paid_fen=6000,
            expires_at=datetime.now(UTC) + timedelta(days=3),
        )
        return PreparedCodes(self.name, "o-1", (certificate,))

    def verify(self, *args: Any) -> list[VerifiedCode]:  # pragma: no cover - not used here
        raise AssertionError("prepare must not verify")

    def cancel(self, *args: Any) -> None:  # pragma: no cover
        raise AssertionError("prepare must not cancel")


def _setup(container: Container, demo: dict[str, Any]) -> Any:
    from voucherbridge.catalogue.listings import ListingSpec, create_listing
    from voucherbridge.catalogue.templates import TemplateSpec, create_template
    from voucherbridge.chain.auth import actor_of

    now = container.clock()
    with container.uow(write=True) as uow:
        user = uow.repo(UserRepo).by_username("admin")
        assert user is not None
        for platform in ("douyin", "meituan"):
            bind_all_stores(uow, user.merchant_id, platform, container.secrets.seal("s"), now)
        uow.commit()
    actor = actor_of(user)
    template = create_template(
        container.uow(write=True),
        actor=actor,
        spec=TemplateSpec(
            kind="cash",
            name="美团100元代金券",
            face_value_fen=10000,
            price_fen=6000,
            validity_mode="relative",
            valid_days=30,
        ),
        now=now,
    )
    create_listing(
        container.uow(write=True),
        actor=actor,
        now=now,
        spec=ListingSpec(
            template_id=template.id,
            platform="meituan",
            code_type="platform",
            title="美团 100元代金券",
            platform_product_id="deal-1",
        ),
    )


def _terminal(container: Container, demo: dict[str, Any]) -> Any:
    from voucherbridge.chain.auth import resolve_terminal

    return resolve_terminal(container.uow(), demo["terminal_key"])


def _order(container: Container, terminal: Any) -> int:
    from voucherbridge.counter.orders import create_order
    from voucherbridge.domain.orders import OrderLine

    line = OrderLine(1, "SOUP01", "凉瓜黄豆汤底", 1, 19900, "条")
    order = create_order(
        container.uow(write=True),
        terminal=terminal,
        table="A1",
        guests=2,
        lines=[line],
        service_fee_fen=0,
        now=container.clock(),
    )
    return order.id


def test_the_platform_that_knows_the_code_answers(container: Container, demo: dict[str, Any]):
    _setup(container, demo)
    terminal = _terminal(container, demo)
    douyin, meituan = Platform("douyin", knows=False), Platform("meituan", knows=True)
    gateway = PlatformGateway({"douyin": douyin, "meituan": meituan}, lambda s: s)
    prepared = counter.prepare_scanned(
        container.uow,
        gateway,
        terminal=terminal,
        raw_code=CODE,
        order_id=_order(container, terminal),
        now=container.clock(),
    )
    assert (prepared.platform, prepared.discount_fen) == ("meituan", 10000)
    assert douyin.asked == [CODE]  # both were asked ...
    assert meituan.asked == [CODE]
    assert douyin.threads.isdisjoint({threading.current_thread().name})  # ... in parallel


@pytest.mark.parametrize(
    ("douyin_down", "expected"),
    [(False, ErrorCode.VOUCHER_NOT_FOUND), (True, ErrorCode.PLATFORM_UNAVAILABLE)],
)
def test_nobody_knows_the_code(
    container: Container, demo: dict[str, Any], douyin_down: bool, expected: ErrorCode
):
    _setup(container, demo)
    terminal = _terminal(container, demo)
    gateway = PlatformGateway(
        {
            "douyin": Platform("douyin", knows=False, down=douyin_down),
            "meituan": Platform("meituan", knows=False),
        },
        lambda s: s,
    )
    with pytest.raises(DomainError) as refused:
        counter.prepare_scanned(
            container.uow,
            gateway,
            terminal=terminal,
            raw_code=CODE,
            order_id=_order(container, terminal),
            now=container.clock(),
        )
    assert refused.value.code is expected
