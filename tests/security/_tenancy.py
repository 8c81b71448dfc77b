"""Two tenants for the tenancy matrices: merchant A is the demo chain (two stores), merchant B
has its own store, till and HQ user."""

from __future__ import annotations

from typing import Any

LINE = {"item_code": "BEER01", "name": "朝日超爽黑生啤", "quantity": 2, "unit_price_fen": 1800}
B_LINE = {"item_code": "B01", "name": "烤串", "quantity": 1, "unit_price_fen": 500}
B_HQ, B_PASSWORD = "b-hq", "b-password-1"
# Words only merchant A's data contains: a page or list B can read must show none of them.
A_MARKERS = ("右姑娘", "皇岗", "福田", "BEER01", "huanggang", "60代100")


def binding_to(store_id: int) -> dict[str, Any]:
    """A micro-mall binding aimed at `store_id` (whose the store is decides the answer)."""
    return {"store_id": store_id, "platform": "weimall", "platform_store_id": "x", "secret": "s"}
