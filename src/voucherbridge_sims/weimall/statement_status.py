"""Micro-mall settlement rows shown with another status (reversed / redeemed)."""

from __future__ import annotations

from datetime import date

from voucherbridge_sims.simkit.state import JsonDict
from voucherbridge_sims.simkit.statement_status import status_router
from voucherbridge_sims.weimall.rules import live_rows
from voucherbridge_sims.weimall.state import SimState


def _keys(line: JsonDict) -> set[str]:
    return {str(line.get("redemption_id")), str(line.get("code"))}


def _mark(line: JsonDict, reversed_: bool) -> None:
    line["status"] = "reversed" if reversed_ else "redeemed"


def _build(sim: SimState, day: date) -> list[JsonDict]:
    return live_rows(sim, None, day)


router = status_router(_build, _keys, _mark)
