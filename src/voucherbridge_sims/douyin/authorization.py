"""The merchant's authorization of our app, as a test hook: a 抖音来客 account may withdraw it
(Douyin then answers 2119005 应用未获商家授权 for its POIs) and give it again."""

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
