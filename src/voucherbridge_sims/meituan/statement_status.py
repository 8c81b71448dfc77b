"""Dianping history records shown with another status (2: the consume was reversed)."""

from __future__ import annotations

from datetime import date

from voucherbridge_sims.meituan.receipts import live_records
from voucherbridge_sims.meituan.state import SimState
from voucherbridge_sims.simkit.state import JsonDict
from voucherbridge_sims.simkit.statement_status import status_router


def _keys(line: JsonDict) -> set[str]:
    return {str(line.get("requestid")), str(line.get("receipt_code"))}


def _mark(line: JsonDict, reversed_: bool) -> None:
    line["status"] = 2 if reversed_ else 1


def _build(sim: SimState, day: date) -> list[JsonDict]:
    with sim.lock:
        return [dict(r) for r in live_records(sim, day)]


router = status_router(_build, _keys, _mark)
