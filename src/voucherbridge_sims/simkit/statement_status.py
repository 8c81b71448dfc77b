"""``POST /_sim/statement/status``: show some lines of a day's statement with another status
(a use the platform shows as undone, or an undone one as used), for reconciliation tests.

Body ``{"date": "YYYY-MM-DD", "status": {id: "reversed" | "redeemed"}}``; an id is any of the
line's ids (code, the platform's line or verify id, our redemption id). The day's statement is
built from the live state first when no /_sim/statement built one; the answer lists the lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from voucherbridge_sims.simkit.hooks import bad, get_sim, read_json
from voucherbridge_sims.simkit.state import JsonDict

Build = Callable[[Any, date], list[JsonDict]]  # (sim, day) -> the live lines (lock not held)
Keys = Callable[[JsonDict], set[str]]
Mark = Callable[[JsonDict, bool], None]  # (line, reversed)


def status_router(build: Build, keys: Keys, mark: Mark) -> APIRouter:
    router = APIRouter(prefix="/_sim")

    @router.post("/statement/status")
    async def statement_status(request: Request) -> Any:
        """Change the status of statement lines by id (reconciliation: status differs)."""
        sim = get_sim(request)
        body = await read_json(request) or {}
        try:
            day = date.fromisoformat(str(body.get("date")))
        except ValueError:
            return bad("date must be YYYY-MM-DD")
        wanted = body.get("status")
        if not isinstance(wanted, dict) or not all(
            v in ("reversed", "redeemed") for v in wanted.values()
        ):
            return bad("status must map ids to reversed or redeemed")
        built = sim.statements.get(day.isoformat())
        lines = [dict(x) for x in built] if built is not None else build(sim, day)
        changed = 0
        for line in lines:
            hit = keys(line) & {str(k) for k in wanted}
            if hit:
                mark(line, wanted[next(iter(hit))] == "reversed")
                changed += 1
        with sim.lock:
            sim.statements[day.isoformat()] = lines
        return {"date": day.isoformat(), "changed": changed, "lines": lines}

    return router
