"""A Meituan session is renewed before it lapses (the till never meets 授权已失效 for a
session that could have been refreshed), once, and a session with no refresh left is said."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from tests.factories import FakeClock
from voucherbridge.bootstrap import Container
from voucherbridge.platforms.meituan.session import MeituanSession
from voucherbridge.platforms.registry import meituan_session_refresher
from voucherbridge.platforms.repository import BindingRepo
from voucherbridge.platforms.session_refresh import refresh_meituan_sessions

API = "/api/admin/v1"


def _bind(client: Any, admin: dict[str, str], secret: str) -> int:
    store = client.post(f"{API}/stores", headers=admin, json={"name": "右姑娘火锅(车公庙店)"})
    assert store.status_code == 201, store.text
    store_id = int(store.json()["id"])
    body = {"store_id": store_id, "platform": "meituan", "platform_store_id": "mt-shop-3"}
    bound = client.post(f"{API}/bindings", headers=admin, json={**body, "secret": secret})
    assert bound.status_code == 201, bound.text
    return store_id


def _kept(container: Container, store_id: int) -> MeituanSession:
    with container.uow() as uow:
        binding = uow.repo(BindingRepo).get(1, store_id, "meituan")
    assert binding is not None
    return MeituanSession.of(container.secrets.open(binding.secret_sealed))


def _refresh(container: Container, now: Any) -> Any:
    return refresh_meituan_sessions(
        container.uow,
        refresh=meituan_session_refresher(container.platform_clients),
        sealer=container.secrets,
        now=now,
    )


def test_a_session_ending_within_three_days_is_refreshed_once(
    client: Any,
    admin: dict[str, str],
    meituan: httpx.Client,
    container: Container,
    clock: FakeClock,
):
    minted = meituan.post("/_sim/meituan/auth_codes", json={"shops": ["mt-shop-3"]}).json()
    grant = container.platform_clients.meituan.exchange_auth_code(minted["auth_code"])
    store_id = _bind(client, admin, grant.secret())
    first = _kept(container, store_id)
    assert first.remain_refresh_count == 12
    assert first.expires_at is not None

    assert _refresh(container, clock()).refreshed == 0  # 30 days left: nothing to do
    report = _refresh(container, clock() + timedelta(days=27, hours=12))

    assert (report.refreshed, report.failed, report.exhausted) == (1, 0, 0)
    renewed = _kept(container, store_id)
    assert renewed.session != first.session
    assert (renewed.bid, renewed.remain_refresh_count) == (first.bid, 11)
    sessions = {s["access_token"] for s in meituan.get("/_sim/state").json()["sessions"]}
    assert renewed.session in sessions
    assert first.session not in sessions  # Meituan retired it: only the new one works
    assert _refresh(container, clock()).refreshed == 0


def test_a_session_with_no_refresh_left_is_reported(
    client: Any,
    admin: dict[str, str],
    meituan: httpx.Client,
    container: Container,
    clock: FakeClock,
):
    ends = int((clock() + timedelta(days=1)).timestamp())
    last = {"session": "mt-demo-session", "remain_refresh_count": 0, "expires_at": ends}
    store_id = _bind(client, admin, json.dumps(last))

    report = _refresh(container, clock())

    assert (report.refreshed, report.exhausted) == (0, 1)
    assert _kept(container, store_id).session == "mt-demo-session"
