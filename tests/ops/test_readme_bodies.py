"""The request bodies the README shows are ones the Terminal API accepts: each is checked
against the very schema its route parses (a README that lies costs an integrator a day)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from voucherbridge.api.schemas.terminal import (
    CheckoutRequest,
    OrderCreate,
    RedeemRequest,
    ReverseRequest,
)

README = Path(__file__).resolve().parents[2] / "README.md"
SCHEMAS = {
    "/api/v1/orders": OrderCreate,
    "/api/v1/vouchers/prepare": RedeemRequest,
    "/api/v1/redemptions": RedeemRequest,
    "/reverse": ReverseRequest,
    "/checkout": CheckoutRequest,
}


def test_every_readme_request_body_parses_with_its_routes_schema() -> None:
    calls = re.findall(r"curl -X POST \$BASE(\S+) .*?-d '([^']+)'", README.read_text("utf-8"))
    assert len(calls) >= 6, calls
    seen = set()
    for path, body in calls:
        schema = next(s for suffix, s in SCHEMAS.items() if path.endswith(suffix))
        schema.model_validate(json.loads(body.replace("J…", "J2024").replace("R…", "R1")))
        seen.add(schema)
    assert seen == set(SCHEMAS.values())
