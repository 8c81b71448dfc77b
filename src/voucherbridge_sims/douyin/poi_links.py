"""POI query and the consumer-side short links (and coupon page) of the Douyin simulator."""

from __future__ import annotations

import html
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from voucherbridge_sims.douyin import wire as w

router = APIRouter()


@router.get("/goodlife/v1/shop/poi/query/")
async def poi_query(request: Request) -> JSONResponse:
    """门店信息查询: the POI when it exists for the account (``pois`` empty otherwise)."""
    sim = w.get_sim(request)
    if (denied := w.check_token(sim, request)) is not None:
        return denied
    account_id = request.query_params.get("account_id") or ""
    poi_id = request.query_params.get("poi_id") or ""
    with sim.lock:
        who = account_id or sim.account_of_poi(poi_id)
        if not sim.app_authorized(who):
            return w.fail(sim, w.NOT_AUTHORIZED)
        if not sim.groupbuy_open(who):  # seed 002 FAQ: 团购未开启, the authorization fails
            return w.fail(sim, w.GROUPBUY_NOT_OPEN)
        found = [
            p
            for p in sim.pois.values()
            if (not poi_id or p.poi_id == poi_id) and (not account_id or p.account_id == account_id)
        ]
        account = {"account_id": sim.config.account_id, "account_name": "模拟商家"}
        pois = [
            {
                "poi": {"poi_id": p.poi_id, "poi_name": p.poi_name, "address": p.address},
                "account": account,
                "root_account": account,
            }
            for p in found
        ]
        return w.ok(sim, pois=pois, total=len(pois))


@router.get("/s/{short_id}")
async def short_link(short_id: str, request: Request) -> Response:
    """The ``v.douyin.com`` short link of a code: 302 to the coupon page with ``object_id``."""
    sim = w.get_sim(request)
    with sim.lock:
        object_id = sim.short_links.get(short_id)
    if object_id is None:
        return HTMLResponse("<h1>404</h1>", status_code=404)
    base = str(request.base_url).rstrip("/")
    target = f"{base}/share/commerce/coupon/{short_id}/?object_id={quote(object_id, safe='')}"
    return RedirectResponse(target, status_code=302)


@router.get("/share/commerce/coupon/{short_id}/")
async def coupon_page(short_id: str, request: Request) -> HTMLResponse:
    """Where the short link lands (a consumer's coupon page; the QR carries this URL)."""
    object_id = html.escape(request.query_params.get("object_id", ""))
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>抖音团购券</title>"
        f"<p>模拟抖音团购券 {html.escape(short_id)}</p><p>object_id: <code>{object_id}</code></p>"
    )
