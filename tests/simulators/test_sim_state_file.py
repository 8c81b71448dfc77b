"""A simulator keeps its state in ``--state-file`` (or SIM_STATE_FILE) across restarts: orders,
codes, products, the calls it received and the pushes it sent come back after the process is
stopped and started again; a file it cannot use is moved aside; ``/_sim/reset`` clears it; faults
and the clock offset are not kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.helpers import wait_until
from tests.simulators.simtools import receiver, sim_process
from voucherbridge.platforms.meituan.signing import signed_params
from voucherbridge_sims.meituan.simulator import MeituanSimConfig
from voucherbridge_sims.meituan.simulator import create_app as meituan_app
from voucherbridge_sims.weimall.simulator import WeimallSimConfig
from voucherbridge_sims.weimall.simulator import create_app as weimall_app

MT_KEY, MT_SECRET, MT_SESSION = "mt-demo-key", "mt-demo-secret", "mt-demo-session"
CONSUME = "/router/tuangou/receipt/consume"
DEAL = {
    "deal_id": "600100",
    "title": "双人火锅套餐",
    "open_shop_uuids": ["mt-shop-1"],
    "price_fen": 19800,
    "market_price_fen": 26800,
}


def consume(client: httpx.Client | TestClient, code: str, requestid: str) -> dict[str, Any]:
    params = {
        "receipt_code": code,
        "requestid": requestid,
        "count": "1",
        "open_shop_uuid": "mt-shop-1",
    }
    form = signed_params(MT_KEY, MT_SECRET, MT_SESSION, params, datetime.now(UTC))
    return dict(client.post(CONSUME, data=form).json())


def without_now(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "now"}


def test_meituan_orders_codes_uses_and_calls_survive_a_restart_of_the_process(
    tmp_path: Path,
) -> None:
    state_file, log = tmp_path / "meituan-state.json", tmp_path / "sim.log"
    with sim_process("meituan", state_file, log) as first, first.http() as client:
        assert client.post("/_sim/meituan/products", json=DEAL).status_code == 200
        bought = client.post("/_sim/meituan/products/600100/buy", json={"count": 2}).json()
        used, spare = bought["codes"]
        assert consume(client, used, "rid-1")["code"] == 200
        before = {
            "state": without_now(client.get("/_sim/state").json()),
            "requests": client.get("/_sim/requests").json(),
            "products": client.get("/_sim/meituan/products").json(),
        }
        assert first.stop()

    saved = json.loads(state_file.read_text(encoding="utf-8"))
    assert (saved["format"], saved["version"], saved["platform"]) == (
        "voucherbridge-simulator-state",
        1,
        "meituan",
    )
    assert saved["entities"]["orders"][bought["order_id"]]["created_at"].endswith("+00:00")

    with sim_process("meituan", state_file, log) as second, second.http() as client:
        after = {
            "state": without_now(client.get("/_sim/state").json()),
            "requests": client.get("/_sim/requests").json(),
            "products": client.get("/_sim/meituan/products").json(),
        }
        assert after == before
        assert [o["codes"] for o in after["state"]["orders"]] == [[used, spare]]
        assert consume(client, used, "rid-2")["code"] == 409  # still used
        assert consume(client, used, "rid-1")["code"] == 200  # the same requestid, same answer
        assert consume(client, spare, "rid-3")["code"] == 200
        page = client.get("/").text
        assert used in page
        assert "已核销" in page
        assert "双人火锅套餐" in page


def test_douyin_keeps_platform_codes_and_their_share_links_via_sim_state_file(
    tmp_path: Path,
) -> None:
    state_file, log = tmp_path / "douyin.json", tmp_path / "sim.log"
    product = {
        "sku_id": "sku-2x",
        "title": "双人午市套餐(2次)",
        "poi_ids": ["poi-1"],
        "original_amount": 20000,
        "pay_amount": 15800,
        "uses": 2,
    }
    env = {"SIM_STATE_FILE": str(state_file)}
    with sim_process("douyin", None, log, **env) as first, first.http() as client:
        client.post("/_sim/douyin/products", json=[product]).raise_for_status()
        bought = client.post("/_sim/douyin/products/sku-2x/buy", json={}).json()
        before = client.get("/_sim/state").json()
        assert first.stop()

    with sim_process("douyin", None, log, first.port, **env) as second, second.http() as client:
        after = client.get("/_sim/state").json()
        assert without_now(after) == without_now(before)
        assert [c["code"] for c in after["orders"][0]["codes"]] == [
            c["code"] for c in bought["codes"]
        ]
        link = client.get(bought["codes"][0]["short_link"])
        assert link.status_code == 302
        assert "object_id=" in link.headers["location"]
        assert client.get("/_sim/douyin/products").json()[0]["uses"] == 2


def test_a_push_retried_in_the_background_is_in_the_file_within_a_second(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "weimall.json"
    with receiver() as (rx, target):
        rx.fail_next = 1  # the first push is refused: the codes come with the resend
        config = WeimallSimConfig(
            target_base_url=target, retry_schedule_s=(0.3,), state_file=str(state_file)
        )
        with TestClient(weimall_app(config)) as client:
            order = client.post("/_sim/weimall/purchases", json={"coupon_id": "C-1"}).json()
            assert order["status"] == "pending"
            assert order["retrying"]

            def issued_in_file() -> bool:
                if not state_file.exists():
                    return False
                saved = json.loads(state_file.read_text(encoding="utf-8"))
                return saved["entities"]["orders"][order["order_no"]]["status"] == "issued"

            wait_until(issued_in_file, timeout_s=3, message="the resend's outcome was not saved")
            saved = json.loads(state_file.read_text(encoding="utf-8"))
            pushes = [p for p in saved["pushes"] if p["order_no"] == order["order_no"]]
            assert [(p["send_count"], p["ok"]) for p in pushes] == [(1, False), (2, True)]
            codes = saved["entities"]["orders"][order["order_no"]]["codes"]
            assert sorted(saved["entities"]["codes"]) == sorted(codes)
            assert len(codes) == 1


def test_faults_and_the_clock_offset_are_not_kept(tmp_path: Path) -> None:
    config = MeituanSimConfig(state_file=str(tmp_path / "mt.json"))
    with TestClient(meituan_app(config)) as client:
        client.post("/_sim/faults", json={"kind": "http_503", "count": None}).raise_for_status()
        client.post("/_sim/clock", json={"advance_s": 86400 * 3}).raise_for_status()
        client.post("/_sim/meituan/products", json=DEAL).raise_for_status()
    with TestClient(meituan_app(config)) as client:
        now = datetime.fromisoformat(client.get("/_sim/state").json()["now"])
        assert abs((now - datetime.now(UTC)).total_seconds()) < 60
        assert client.delete("/_sim/faults").json() == {"faults": []}
        assert client.post("/router/tuangou/receipt/prepare").status_code == 200  # not 503
        assert client.get("/_sim/meituan/products").json()[0]["title"] == "双人火锅套餐"


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps(
            {"format": "voucherbridge-simulator-state", "version": 99, "platform": "meituan"}
        ),
        json.dumps({"format": "voucherbridge-simulator-state", "version": 1, "platform": "douyin"}),
        json.dumps(
            {
                "format": "voucherbridge-simulator-state",
                "version": 1,
                "platform": "meituan",
                "seq": 1,
                "requests": [],
                "pushes": [],
                "entities": {"orders": {"1": {"order_id": 1}}},
            }
        ),
    ],
    ids=["not-json", "other-version", "other-platform", "entities-that-do-not-fit"],
)
def test_a_file_it_cannot_use_is_moved_aside_and_it_starts_fresh(
    tmp_path: Path, content: str, capfd: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "mt.json"
    state_file.write_text(content, encoding="utf-8")
    with TestClient(meituan_app(MeituanSimConfig(state_file=str(state_file)))) as client:
        state = client.get("/_sim/state").json()
        assert state["orders"] == []
        assert len(state["shops"]) == 3
        assert client.post("/_sim/meituan/receipts", json={"price_yuan": "10"}).status_code == 200
    warning = [line for line in capfd.readouterr().err.splitlines() if "state file" in line]
    assert len(warning) == 1
    assert "starting fresh" in warning[0]
    assert (tmp_path / "mt.json.bad").read_text(encoding="utf-8") == content
    assert len(json.loads(state_file.read_text(encoding="utf-8"))["entities"]["orders"]) == 1


def test_reset_clears_the_file(tmp_path: Path) -> None:
    state_file = tmp_path / "mt.json"
    config = MeituanSimConfig(state_file=str(state_file))
    with TestClient(meituan_app(config)) as client:
        client.post("/_sim/meituan/products", json=DEAL).raise_for_status()
        order = client.post("/_sim/meituan/products/600100/buy", json={"count": 1}).json()
        wait_until(lambda: state_file.exists() and order["order_id"] in state_file.read_text())
        assert client.post("/_sim/reset").json() == {"ok": True}
        fresh = without_now(client.get("/_sim/state").json())
    with TestClient(meituan_app(config)) as client:
        assert without_now(client.get("/_sim/state").json())["orders"] == fresh["orders"] == []
        assert client.get("/_sim/meituan/products").json() == []
        assert client.get("/_sim/requests").json() == []
