"""The outbox worker: backoff on failure, dead after the budget, manual retry, lease expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import FakeClock, redeem_demo_cash
from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.domain.backoff import worst_call_s
from voucherbridge.domain.records import OutboxRow
from voucherbridge.outbox.repository import OutboxRepo
from voucherbridge.outbox.service import DeliveryFailed, deliver_due, list_outbox, retry_dead

HQ = Actor(1, 1, "admin", "hq_admin", None)


class Platform:
    """Stands in for a platform endpoint: fails while `down`, records what it received."""

    def __init__(self) -> None:
        self.down = True
        self.received: list[str] = []

    def __call__(self, row: OutboxRow) -> None:
        if self.down:
            raise DeliveryFailed("HTTP 503 from platform")
        self.received.append(row.payload["redemption_id"])


def test_down_platform_is_retried_with_backoff_then_dead_then_retried_by_hand(
    container: Container, demo: dict[str, Any]
) -> None:
    clock = FakeClock()
    container.clock = clock
    redemption_id = redeem_demo_cash(container, demo)
    platform = Platform()
    table = {"platform:weimall": platform}

    first = deliver_due(container.uow, table, clock, max_attempts=3)
    assert (first.delivered, first.retried) == (0, 1)
    assert deliver_due(container.uow, table, clock, max_attempts=3).retried == 0  # not due yet
    for _ in range(2):
        clock.advance(hours=2)
        deliver_due(container.uow, table, clock, max_attempts=3)
    listing = list_outbox(container.uow, actor=HQ, status="dead")
    assert listing.counts == {"dead": 1}
    assert listing.rows[0].attempts == 3
    assert "503" in (listing.rows[0].last_error or "")

    platform.down = False
    clock.advance(hours=2)
    assert deliver_due(container.uow, table, clock).delivered == 0  # dead stays dead
    retry_dead(container.uow, actor=HQ, outbox_id=listing.rows[0].id, now=clock())
    assert deliver_due(container.uow, table, clock).delivered == 1
    assert platform.received == [redemption_id]
    assert list_outbox(container.uow, actor=HQ, status=None).counts == {"delivered": 1}


def test_a_crashed_workers_rows_come_back_after_the_lease(
    container: Container, demo: dict[str, Any]
) -> None:
    clock = FakeClock()
    container.clock = clock
    redeem_demo_cash(container, demo)
    with container.uow(write=True) as uow:
        claimed = uow.repo(OutboxRepo).claim(clock(), 10, clock.now.replace(microsecond=0))
        uow.commit()
    assert len(claimed) == 1  # ...and the worker dies before recording the outcome
    platform = Platform()
    platform.down = False
    clock.advance(minutes=3)
    assert deliver_due(container.uow, {"platform:weimall": platform}, clock).delivered == 1
    assert len(platform.received) == 1


class SlowPlatform:
    """A platform that times out on every try but the last: each delivery takes the client's
    whole retry budget. Late in the batch a second worker looks for work."""

    def __init__(self, clock: FakeClock, per_row_s: float, second_worker: Any) -> None:
        self.clock, self.per_row_s, self.second_worker = clock, per_row_s, second_worker
        self.received: list[str] = []
        self.second_found: int | None = None

    def __call__(self, row: OutboxRow) -> None:
        self.clock.advance(seconds=self.per_row_s)
        self.received.append(row.payload["redemption_id"])
        if len(self.received) == 4:  # past two minutes, the lease this used to have
            self.second_found = self.second_worker().delivered


def test_a_slow_batch_keeps_its_lease_so_no_second_worker_delivers_its_rows(
    container: Container, demo: dict[str, Any]
) -> None:
    clock = FakeClock()
    container.clock = clock
    settings = container.settings.model_copy(update={"outbox_batch": 5})
    for n in range(5):
        redeem_demo_cash(container, demo, n)
    worst_row_s = worst_call_s(
        settings.platform_max_attempts, settings.platform_timeout_s, settings.platform_retry_wait_s
    )
    lease = timedelta(seconds=settings.outbox_lease_s)
    assert lease.total_seconds() >= 5 * worst_row_s  # the whole batch, at its slowest

    def work(platform: Any) -> Any:
        return deliver_due(
            container.uow, {"platform:weimall": platform}, clock, batch=5, lease=lease
        )

    second = SlowPlatform(clock, 0, lambda: None)
    first = SlowPlatform(clock, worst_row_s, lambda: work(second))
    assert work(first).delivered == 5
    assert first.second_found == 0  # the second worker found nothing to take...
    assert second.received == []  # ...so nothing was delivered twice
    assert len(set(first.received)) == 5
