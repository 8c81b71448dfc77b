"""The demo world as tests use it: our side seeded exactly as `seed-demo` seeds it, plus five
unused codes of each of the four original listings issued straight into our database.

The product never does the second part (a code is sold by a platform: `demo.world` buys them on
the simulators); tests that are not about platform sync need codes without a platform running.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from voucherbridge.catalogue.issuing import issue_codes
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.demo.catalogue import MERCHANT_LISTINGS
from voucherbridge.demo.seed import seed_demo

CODES_PER_KIND = 5


def seed_test_world(
    make_uow: UnitOfWorkFactory, *, now: datetime, base_url: str, seal: Callable[[str], str]
) -> dict[str, Any]:
    data = seed_demo(make_uow, now=now, base_url=base_url, seal=seal)
    codes: dict[str, list[str]] = {}
    with make_uow(write=True) as uow:
        for kind, platform, _title in MERCHANT_LISTINGS[:4]:
            public_id = data["listings"][platform][kind]["public_id"]
            listing = uow.repo(ListingRepo).by_public_id(public_id)
            assert listing is not None
            issued = issue_codes(
                uow,
                merchant_id=listing.merchant_id,
                listing=listing,
                platform_order_id=f"test-{secrets.token_hex(6)}",
                quantity=CODES_PER_KIND,
                buyer_openid=None,
                now=now,
                actor="demo",
            )
            codes[kind] = issued.codes
        uow.commit()
    data["codes"] = codes
    return data
