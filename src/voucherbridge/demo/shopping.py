"""The demo's consumers: they buy the demo's vouchers on the platform simulators, through the
same purchase flows a real platform runs (the mall pushes the purchase to us, Douyin calls our
issue SPI, Douyin and Meituan mint their own codes), so every code the demo prints is known to
its platform and every redemption of it syncs.

The simulators are peers reached over HTTP at the addresses our settings use for the
platforms; the product never imports them. Each simulator also learns the demo's products, so
its page can offer them to a person playing the consumer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

TIMEOUT_S = 15.0


class SimulatorMissing(Exception):
    """A simulator did not answer, or refused a purchase; ``reason`` says which and why."""

    def __init__(self, platform: str, reason: str) -> None:
        super().__init__(f"{platform}: {reason}")
        self.platform = platform
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Purchase:
    """Codes a demo consumer holds after one platform order."""

    platform: str
    product: str  # our listing id (merchant codes) or the platform's product id
    codes: list[str]
    order_id: str
    links: list[str] = field(default_factory=list)
    order_link: str | None = None  # Douyin: the order's QR (v.douyin.com), every unused code


def reachable(base_url: str) -> bool:
    """Whether a simulator answers at `base_url` (a real platform has no /_sim/)."""
    try:
        answer = httpx.get(f"{base_url.rstrip('/')}/_sim/state", timeout=2.0)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


class Shopper:
    """Buys on one machine's simulators; one HTTP client per platform."""

    def __init__(self, base_urls: Mapping[str, str]) -> None:
        self.base_urls = {name: url.rstrip("/") for name, url in base_urls.items()}

    def _post(self, platform: str, path: str, body: Any) -> Any:
        url = self.base_urls[platform] + path
        try:
            answer = httpx.post(url, json=body, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise SimulatorMissing(platform, f"{type(exc).__name__} at {url}") from exc
        if answer.status_code != 200:
            raise SimulatorMissing(platform, f"HTTP {answer.status_code}: {answer.text[:200]}")
        return answer.json()

    def offer(self, platform: str, products: list[dict[str, Any]]) -> None:
        """Tell the simulator what the merchant sells there (its page offers them too)."""
        self._post(platform, f"/_sim/{platform}/products", products)

    def buy(self, platform: str, product_id: str, quantity: int) -> Purchase:
        """A demo consumer buys `quantity` of a product, through the platform's own flow."""
        order = self._post(
            platform,
            f"/_sim/{platform}/products/{product_id}/buy",
            {"quantity": quantity, "openid": "o-demo-buyer"},
        )
        raw = order.get("codes") or []
        codes = [c["code"] if isinstance(c, dict) else str(c) for c in raw]
        if len(codes) != quantity or order.get("status") in ("issuing", "issue_failed"):
            raise SimulatorMissing(platform, f"{len(codes)} of {quantity} codes issued")
        links = [str(c["share_link"]) for c in raw if isinstance(c, dict) and c.get("share_link")]
        order_id = str(order.get("order_no") or order.get("order_id"))
        order_link = order.get("order_share_link")
        return Purchase(
            platform, product_id, codes, order_id, links, str(order_link) if order_link else None
        )
