"""Douyin ledger lines shown with another status (2: the verification was cancelled)."""

from __future__ import annotations

from datetime import date

from voucherbridge_sims.douyin.state import JsonDict, SimState
from voucherbridge_sims.douyin.statements import build_statement
from voucherbridge_sims.simkit.statement_status import status_router


def _keys(line: JsonDict) -> set[str]:
    cert = line.get("certificate") or {}
    return {str(line.get("verify_id")), str(cert.get("certificate_id")), str(cert.get("code"))}


def _mark(line: JsonDict, reversed_: bool) -> None:
    line["status"] = 2 if reversed_ else 1
    line["cancel_time"] = int(line.get("verify_time") or 0) + 60 if reversed_ else 0


def _build(sim: SimState, day: date) -> list[JsonDict]:
    return build_statement(sim, day)


router = status_router(_build, _keys, _mark)
