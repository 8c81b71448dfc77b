"""The first scan after a start finds its route ready (api/warm_up.py).

FastAPI builds a route's dependency analysis, and the match lists of the routers around it,
when a request first walks them: the first prepare after a start took 236 ms where the next
took 7 ms. `voucherbridge serve` builds them all before it takes traffic; here the first scan
after that must build nothing, and answer as a scan does."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import fastapi.routing
from fastapi.testclient import TestClient

from tests.helpers import SEED_ORDER, open_order
from voucherbridge.api.warm_up import build_route_state
from voucherbridge.app import create_app
from voucherbridge.bootstrap import Container


def test_the_first_scan_after_the_start_builds_no_route_state(
    container: Container, demo: dict[str, Any], auth: dict[str, str]
):
    app = create_app(container=container)
    build_route_state(app)
    built = fastapi.routing._populate_api_route_state
    with (
        patch.object(fastapi.routing, "_populate_api_route_state", wraps=built) as building,
        TestClient(app) as client,
    ):
        order = open_order(client, auth, **SEED_ORDER)
        body = {"code": demo["codes"]["cash"][0], "order_id": order["id"]}
        answer = client.post("/api/v1/vouchers/prepare", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["discount_fen"] > 0
        assert building.call_count == 0


def test_without_it_the_first_request_builds_them(container: Container):
    # The measure of the test above: a fresh app builds route state at its first request.
    app = create_app(container=container)
    built = fastapi.routing._populate_api_route_state
    with (
        patch.object(fastapi.routing, "_populate_api_route_state", wraps=built) as building,
        TestClient(app) as client,
    ):
        assert client.get("/healthz").status_code == 200
        assert building.call_count > 0
