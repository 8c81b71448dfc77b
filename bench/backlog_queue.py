"""The sync backlog's setup, in-process through the product's use cases (bench/backlog.py).

    backlog_queue.py issue <coupon_id> <n>      codes sold by the micro-mall (the purchase use
                                               case `issue_codes`, 1,000 per order); prints them
    backlog_queue.py queue <terminal_key> < codes   one `code.redeemed` outbox row per code

`queue` writes each row with `enqueue_side_effects`, the function every redemption calls to
queue its platform sync, in the redemption's shape (new redemption id, the terminal's store,
the voucher's discount), 500 to a transaction. It writes only the outbox row: the drain reads
the code, its order and the store's binding, never the redemption. Real redemptions over HTTP
would take about 3 minutes per 50,000 on this machine (twice: one backlog per drain), which
is why the backlog is made this way. Run with the service's environment
(VOUCHERBRIDGE_DATABASE_URL, VOUCHERBRIDGE_SECRET_KEY).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from voucherbridge.bootstrap import build
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.catalogue.issuing import MAX_BATCH, issue_codes
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.chain.auth import hash_secret
from voucherbridge.chain.repository import TerminalRepo
from voucherbridge.config import Settings
from voucherbridge.counter.recording import enqueue_side_effects, new_redemption_id
from voucherbridge.domain.records import Redemption

PER_TX = 500
DISCOUNT_FEN = 10000  # the demo cash voucher's face value (60代100)


def issue(coupon: str, n: int) -> list[str]:
    container = build(Settings())
    codes: list[str] = []
    with container.uow() as uow:
        listing = uow.repo(ListingRepo).by_public_id(coupon)
    assert listing is not None, coupon
    while len(codes) < n:
        with container.uow(write=True) as uow:
            issued = issue_codes(
                uow,
                merchant_id=listing.merchant_id,
                listing=listing,
                platform_order_id=f"BL{len(codes):08d}",
                quantity=min(MAX_BATCH, n - len(codes)),
                buyer_openid="o-bench-backlog",
                now=datetime.now(UTC),
                actor="platform:weimall",
            )
            uow.commit()
        codes += issued.codes
    return codes


def queue(terminal_key: str, codes: list[str]) -> int:
    container = build(Settings())
    with container.uow() as uow:
        terminal = uow.repo(TerminalRepo).by_key_hash(hash_secret(terminal_key))
    assert terminal is not None
    done = 0
    for start in range(0, len(codes), PER_TX):
        with container.uow(write=True) as uow:
            now = datetime.now(UTC)
            for value in codes[start : start + PER_TX]:
                code = uow.repo(CodeRepo).find(terminal.merchant_id, value)
                assert code is not None, value
                redemption = Redemption(
                    id=0,
                    public_id=new_redemption_id(),
                    merchant_id=terminal.merchant_id,
                    store_id=terminal.store_id,
                    terminal_id=terminal.id,
                    order_id=0,  # no till order: the sync does not send it
                    code_id=code.id,
                    code=code.code,
                    platform=code.platform,
                    template_id=code.template_id,
                    kind="cash",
                    name="100元代金券",
                    stackable=True,
                    discount_fen=DISCOUNT_FEN,
                    allocations={},
                    status="active",
                    redeemed_at=now,
                    reversible_until=now + timedelta(minutes=60),
                    reversed_at=None,
                    reverse_reason=None,
                )
                enqueue_side_effects(uow, redemption, "redeemed", now)
                done += 1
            uow.commit()
    return done


if __name__ == "__main__":
    if sys.argv[1] == "issue":
        print(json.dumps(issue(sys.argv[2], int(sys.argv[3]))))
    else:
        print(json.dumps({"queued": queue(sys.argv[2], json.load(sys.stdin))}))
