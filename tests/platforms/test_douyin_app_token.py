"""Douyin is one app: every process of ours uses the one token kept (sealed) in our database,
instead of each fetching its own (Douyin keeps only the latest two alive)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.platforms.douyin.client import DouyinClient
from voucherbridge.platforms.ports import Credentials
from voucherbridge.platforms.shared_tokens import DatabaseTokens
from voucherbridge_sims.douyin.simulator import DouyinSimConfig, ServerThread, create_app

KEY, SECRET = "ck-app-token", "cs-app-token"
POI = "7001"
CREDS = Credentials("douyin", POI, "")
TOKEN = "/oauth/stable_client_token/"


@pytest.fixture(scope="module")
def douyin_url() -> Iterator[str]:
    config = DouyinSimConfig(client_key=KEY, client_secret=SECRET, time_scale=0.001)
    with ServerThread(create_app(config)) as server:
        yield server.base_url


@pytest.fixture
def hooks(douyin_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=douyin_url, timeout=10) as http:
        http.post("/_sim/reset").raise_for_status()
        yield http


def _process(container: Container, douyin_url: str) -> DouyinClient:
    """What one API or worker process builds: its own client, the database's token."""
    shared = DatabaseTokens(container.uow, container.secrets, container.clock)
    return DouyinClient(douyin_url, KEY, SECRET, shared_tokens=shared, retry_wait_s=0)


def _code(hooks: httpx.Client) -> str:
    body = {"poi_id": POI, "sku_id": "sku-100", "third_sku_id": "LST-100", "count": 1}
    bought: dict[str, Any] = hooks.post("/_sim/douyin/orders", json=body).json()
    return str(bought["codes"][0]["code"])


def _token_calls(hooks: httpx.Client) -> int:
    return len(hooks.get("/_sim/requests", params={"path": TOKEN}).json())


def test_two_processes_share_one_token_and_renew_it_once(
    container: Container, douyin_url: str, hooks: httpx.Client
) -> None:
    api, worker = _process(container, douyin_url), _process(container, douyin_url)
    try:
        code = _code(hooks)
        assert api.prepare(CREDS, code).certificates[0].code == code
        assert worker.prepare(CREDS, code).certificates[0].code == code
        assert _token_calls(hooks) == 1  # the second process found the first one's token

        with container.engine.connect() as conn:
            [stored] = conn.execute(select(t.platform_tokens)).all()
        token = hooks.get("/_sim/state").json()["tokens"][0]["access_token"]
        assert (stored.platform, stored.app_key) == ("douyin", KEY)
        assert token not in stored.token_sealed  # sealed at rest
        assert container.secrets.open(stored.token_sealed) == token

        # Two hours later Douyin refuses the token: the first process to hear it renews it,
        # the other one is refused once too and takes the renewed token from the database.
        hooks.post("/_sim/clock", json={"advance_s": 7300}).raise_for_status()
        assert api.prepare(CREDS, code).certificates[0].code == code
        assert worker.prepare(CREDS, code).certificates[0].code == code
        assert _token_calls(hooks) == 2
        renewed = hooks.get("/_sim/state").json()["tokens"][-1]["access_token"]
        prepares = hooks.get(
            "/_sim/requests", params={"path": "/goodlife/v1/fulfilment/certificate/prepare/"}
        ).json()
        assert prepares[-1]["headers"]["access-token"] == renewed
    finally:
        api.close()
        worker.close()


def test_a_token_sealed_with_another_key_is_fetched_again(
    container: Container, douyin_url: str, hooks: httpx.Client
) -> None:
    first = _process(container, douyin_url)
    code = _code(hooks)
    first.prepare(CREDS, code)
    first.close()
    with container.engine.begin() as conn:
        conn.execute(t.platform_tokens.update().values(token_sealed="not-a-sealed-token"))

    later = _process(container, douyin_url)
    try:
        assert later.prepare(CREDS, code).certificates[0].code == code
    finally:
        later.close()
    assert _token_calls(hooks) == 2
