"""A worker told to stop (SIGTERM sets the event) finishes the row in hand and gives the rest of
its batch back at once; each delivery runs under the request id of the request that queued it."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.helpers import SEED_ORDER, must_redeem, open_order
from voucherbridge.bootstrap import Container
from voucherbridge.core.request_id import request_id
from voucherbridge.domain.records import OutboxRow
from voucherbridge.outbox.service import deliver_due


def test_a_stopping_worker_gives_back_the_rows_it_did_not_start(
    client: TestClient, container: Container, demo: dict[str, Any], auth: dict[str, str]
):
    for n, code in enumerate(demo["codes"]["cash"][:3]):
        order = open_order(client, auth, SEED_ORDER["lines"])
        must_redeem(client, {**auth, "X-Request-ID": f"till-1.{n}"}, code, order["id"])
    stop = threading.Event()
    seen: list[tuple[int, str | None]] = []

    def mall(row: OutboxRow) -> None:  # the destination: takes the message, then SIGTERM
        seen.append((row.id, request_id()))
        stop.set()

    report = deliver_due(
        container.uow, {"platform:weimall": mall}, container.clock, batch=10, stop=stop
    )
    assert report.delivered == 1
    assert seen == [(1, "till-1.0")]
    with container.engine.connect() as conn:
        rows = conn.execute(
            text("select id, status, attempts, locked_until from outbox order by id")
        ).all()
    assert [(r.id, r.status, r.attempts, r.locked_until) for r in rows] == [
        (1, "delivered", 1, None),
        (2, "pending", 0, None),  # given back: no attempt counted, no lease to wait out
        (3, "pending", 0, None),
    ]
    # the next worker takes them at once
    again = deliver_due(container.uow, {"platform:weimall": mall}, container.clock, batch=10)
    assert again.delivered == 2
    assert [rid for _, rid in seen] == ["till-1.0", "till-1.1", "till-1.2"]
