"""The statements of a prepare, a redeem and a purchase push are built once, not per call.

SQLAlchemy caches a statement's compiled form by its cache key, but a statement object built
per call has that key computed again on every call, a cost that grows with the statement and
is paid while SQLite's one writer is held: building the inbound message's, the idempotency
row's and a purchase's lookups once took the flash sale from 202 to 339 callbacks/s and the
redeem from 379 to 425 req/s (issue #20). Each SQL text run here must come from one object,
whether it goes through `Connection.execute` or is `Prepared` (run on the driver's cursor,
compiled once per object: one built per call would compile per call)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from unittest.mock import patch

from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.factories import FakeClock
from tests.helpers import SEED_ORDER, open_order
from tests.platforms.test_inbound_hooks import _listing, _mall_ok, _push
from tests.platforms.test_purchase_statement_budget import _purchase, tell_buyers_of_purchases
from voucherbridge.bootstrap import Container
from voucherbridge.db.driver import Prepared


def test_each_hot_statement_is_one_object_whatever_the_calls(
    app: Any,
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    container: Container,
    clock: FakeClock,
) -> None:
    objects: dict[str, list[Any]] = defaultdict(list)

    def seen(sql: str, built: Any) -> None:
        if all(built is not o for o in objects[sql]):
            objects[sql].append(built)  # kept: an id is not reused while it lives

    def on_execute(_conn: Any, clause: Any, *_: Any) -> None:
        if not isinstance(clause, str):
            seen(str(clause), clause)

    run = Prepared.run

    def on_run(prepared: Prepared, conn: Any, params: Any) -> Any:
        seen(f"prepared: {prepared}", prepared)
        return run(prepared, conn, params)

    with TestClient(app) as hooks, patch.object(Prepared, "run", on_run):
        listing = _listing(hooks, demo, "weimall")
        tell_buyers_of_purchases(container, listing, clock)
        event.listen(container.engine, "before_execute", on_execute)
        try:
            for n, code in enumerate(demo["codes"]["cash"][:3]):
                order = open_order(client, auth, **SEED_ORDER)
                body = {"code": code, "order_id": order["id"]}
                key = {**auth, "Idempotency-Key": f"once-{n}"}
                prepared = client.post("/api/v1/vouchers/prepare", json=body, headers=auth)
                redeemed = client.post("/api/v1/redemptions", json=body, headers=key)
                assert (prepared.status_code, redeemed.status_code) == (200, 201), redeemed.text
                purchase = _purchase(listing, f"WM-ONCE-{n}", 2, clock.now.isoformat())
                assert (
                    len(_mall_ok(_push(hooks, clock, "VOUCHER_PURCHASED", purchase))["codes"]) == 2
                )
        finally:
            event.remove(container.engine, "before_execute", on_execute)
    assert len(objects) > 20
    built_per_call = {
        " ".join(sql.split())[:160]: len(o) for sql, o in objects.items() if len(o) > 1
    }
    assert built_per_call == {}
