"""What a platform sells for the merchant (``sim.products``), and buying one through the
platform's own purchase flow.

``POST /_sim/{platform}/products`` upserts by id (a JSON object, or a list of them: all checked
before any is kept) and answers the products as kept; ``GET`` lists them; ``POST
/_sim/{platform}/products/{id}/buy {"quantity"|"count": n, "openid"?}`` runs the purchase flow
with the product's fields and answers exactly what that flow answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.hooks import bad, get_sim, int_field
from voucherbridge_sims.simkit.state import JsonDict


class Product(Protocol):
    @property
    def key(self) -> str: ...


# (sim, product, quantity, openid, base URL of the simulator) -> the purchase flow's answer
Buy = Callable[[Any, Any, int, str | None, str], Awaitable[Any]]


def answer_of(result: Any) -> tuple[int, Any]:
    """A flow's answer as (HTTP status, JSON body): flows return a dict or an error response."""
    if isinstance(result, JSONResponse):
        return result.status_code, json.loads(bytes(result.body))
    return 200, result


def need_text(body: JsonDict, key: str, default: str | None = None) -> str:
    """A non-empty text field (an integer id is taken as its digits)."""
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None and default is not None:
        return default
    raise ValueError(f"{key} is required (text)")


def need_fen(body: JsonDict, key: str, default: int | None = None) -> int:
    """A non-negative integer amount (fen, days, counts)."""
    value = int_field(body, key, default)
    if value is None:
        raise ValueError(f"{key} is required (integer)")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return value


def need_texts(body: JsonDict, key: str) -> list[str]:
    """A non-empty list of non-empty texts."""
    value = body.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key} must be a non-empty list")
    items = [need_text({key: item}, key) for item in value]
    return list(dict.fromkeys(items))


def product_view(product: Any) -> JsonDict:
    return asdict(product)


def buy_args(body: JsonDict) -> tuple[int, str | None]:
    """``{"quantity"|"count": n, "openid"?}`` (default one); a ValueError says what is wrong."""
    quantity = int_field(body, "quantity", None)
    if quantity is None:
        quantity = int_field(body, "count", 1)
    if quantity is None or quantity < 1:
        raise ValueError("quantity must be a positive integer")
    openid = body.get("openid")
    return quantity, str(openid) if isinstance(openid, str) and openid.strip() else None


async def buy_product(request: Request, sim: Any, product_id: str, body: JsonDict, buy: Buy) -> Any:
    with sim.lock:
        product = sim.products.get(product_id)
    if product is None:
        return bad(f"unknown product {product_id}", 404)
    try:
        quantity, openid = buy_args(body)
    except ValueError as exc:
        return bad(str(exc))
    return await buy(sim, product, quantity, openid, str(request.base_url).rstrip("/"))


def products_router(
    platform: str, parse: Callable[[Any, JsonDict], Product], buy: Buy
) -> APIRouter:
    """The three product routes of one platform; `parse` turns one JSON object into the
    platform's product (ValueError naming the first problem)."""
    router = APIRouter(prefix=f"/_sim/{platform}/products")

    @router.post("")
    async def upsert(request: Request) -> Any:
        """Add or replace products by id: one object or a list of them."""
        sim = get_sim(request)
        try:
            raw = json.loads(await request.body() or b"null")
        except ValueError:
            return bad("body must be a JSON object or a list of objects")
        items = raw if isinstance(raw, list) else [raw]
        if not items or not all(isinstance(item, dict) for item in items):
            return bad("body must be a JSON object or a list of objects")
        try:
            products = [parse(sim, item) for item in items]
        except ValueError as exc:
            return bad(str(exc))
        with sim.lock:
            for product in products:
                sim.products[product.key] = product
        return [product_view(p) for p in products]

    @router.get("")
    async def listing(request: Request) -> list[JsonDict]:
        """Every product, in the order first added."""
        sim = get_sim(request)
        with sim.lock:
            return [product_view(p) for p in sim.products.values()]

    @router.post("/{product_id}/buy")
    async def buy_route(product_id: str, request: Request) -> Any:
        """A consumer buys `quantity` of the product through the platform's purchase flow."""
        sim = get_sim(request)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return bad("body must be a JSON object")
        return await buy_product(request, sim, product_id, body, buy)

    return router
