"""What the reconciliation tests share: the API calls and reading a run's lists."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import httpx

from tests.factories import FakeClock

API = "/api/admin/v1"
Headers = dict[str, str]


def china_day(clock: FakeClock) -> date:
    return (clock.now.astimezone(UTC) + timedelta(hours=8)).date()


def store_id(client: Any, admin: Headers, name: str = "皇岗店") -> int:
    stores = client.get(f"{API}/stores", headers=admin).json()
    return int(next(s["id"] for s in stores if s["name"] == name))


def reconcile(client: Any, admin: Headers, platform: str, store: int, day: date) -> dict[str, Any]:
    answer = client.post(
        f"{API}/reconciliations",
        headers=admin,
        json={"platform": platform, "store_id": store, "date": day.isoformat()},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def codes_of(run: dict[str, Any], kind: str) -> list[str]:
    return sorted(line["code"] for line in run[kind])


def counts(run: dict[str, Any]) -> dict[str, int]:
    return dict(run["counts"])


def totals(run: dict[str, Any]) -> tuple[int, int, int]:
    return run["ours_fen"], run["theirs_fen"], run["difference_fen"]


def sim_statement(sim: httpx.Client, day: date, **distortions: Any) -> None:
    """Build the day's statement on the simulator: drop, amount_delta_fen, extra."""
    sim.post("/_sim/statement", json={"date": day.isoformat(), **distortions}).raise_for_status()


def sim_status(sim: httpx.Client, day: date, status: dict[str, str]) -> None:
    built = sim.post("/_sim/statement/status", json={"date": day.isoformat(), "status": status})
    built.raise_for_status()
    assert built.json()["changed"] == len(status), built.text
