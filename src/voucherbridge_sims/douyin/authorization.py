"""The merchant's authorization of our app, as a test hook: a 抖音来客 account may withdraw it
(Douyin then answers 2119005 应用未获商家授权 for its POIs) and give it again; an account may
not have opened group-buy yet (团购未开启, seed 002's FAQ: its authorization fails)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin import wire as w
from voucherbridge_sims.simkit.hooks import bad

router = APIRouter(prefix="/_sim")


@router.post("/authorization")
async def set_authorization(request: Request) -> JSONResponse:
    """``{"account_id": "...", "authorized": false}`` withdraws, ``true`` gives it again."""
    sim = w.get_sim(request)
    body = await request.json()
    account_id = body.get("account_id") if isinstance(body, dict) else None
    authorized = body.get("authorized") if isinstance(body, dict) else None
    if not isinstance(account_id, str) or not account_id or not isinstance(authorized, bool):
        return bad("account_id (text) and authorized (true/false) are required")
    with sim.lock:
        revoked = [a for a in sim.revoked_accounts if a != account_id]
        sim.revoked_accounts = revoked if authorized else [*revoked, account_id]
        return JSONResponse(
            {"account_id": account_id, "authorized": sim.app_authorized(account_id)}
        )


@router.post("/groupbuy")
async def set_groupbuy(request: Request) -> JSONResponse:
    """``{"account_id": "...", "open": false}``: the account has not opened group-buy (团购未开启;
    the POI query then answers 2119901 and binding fails), ``true`` opens it."""
    sim = w.get_sim(request)
    body = await request.json()
    account_id = body.get("account_id") if isinstance(body, dict) else None
    opened = body.get("open") if isinstance(body, dict) else None
    if not isinstance(account_id, str) or not account_id or not isinstance(opened, bool):
        return bad("account_id (text) and open (true/false) are required")
    with sim.lock:
        closed = [a for a in sim.groupbuy_closed_accounts if a != account_id]
        sim.groupbuy_closed_accounts = closed if opened else [*closed, account_id]
    sim.changed()
    return JSONResponse({"account_id": account_id, "open": sim.groupbuy_open(account_id)})
