"""Sample orders the demo prints beside its codes: for each voucher, a bill it fits (the items an
item, deduction or combo voucher needs, in the numbers it needs them, and enough on the bill for
every use of the code), as the body of `POST /api/v1/orders`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

# (item_code, name, unit, unit price in fen), as the demo's catalogue has them.
Item = tuple[str, str, str, int]
# Added after what the voucher needs, in this order, until the bill is large enough.
FILLERS = ("SOUP01", "BEER01", "WLJ01", "DISH01")


def sample_order(
    items: Sequence[Item],
    needs: Sequence[str] = (),
    *,
    at_least_fen: int = 0,
    table: str = "A01",
    guests: int = 2,
) -> dict[str, Any]:
    """A bill holding every item code of `needs` (repeats counted) and totalling more than
    `at_least_fen` (the discount of every use, so a cash voucher never meets an empty bill)."""
    catalogue = {code: (name, unit, price) for code, name, unit, price in items}
    quantities = Counter(needs)
    total = sum(catalogue[code][2] * n for code, n in quantities.items())
    fillers = [code for code in FILLERS if code in catalogue]
    turn = 0
    while total <= at_least_fen and fillers:
        code = fillers[turn % len(fillers)]
        quantities[code] += 1
        total += catalogue[code][2]
        turn += 1
    lines = [
        {
            "item_code": code,
            "name": catalogue[code][0],
            "unit": catalogue[code][1],
            "quantity": quantity,
            "unit_price_fen": catalogue[code][2],
        }
        for code, quantity in quantities.items()
    ]
    return {"table": table, "guests": guests, "lines": lines}
