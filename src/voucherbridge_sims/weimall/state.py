"""In-memory state of the micro-mall simulator: stores, orders, codes, redemptions, statements.

One `SimState` guarded by the re-entrant lock of `SimBase`; handlers hold it for a whole
read-check-write and never across network I/O. Money is integer fen, times aware UTC; the
settlement day is the China calendar day (UTC+8, no daylight saving).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

from voucherbridge_sims.simkit.state import JsonDict as JsonDict
from voucherbridge_sims.simkit.state import SimBase
from voucherbridge_sims.weimall.catalog import Product

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
RETRY_SCHEDULE_S = (60.0, 300.0, 900.0, 3600.0, 21600.0)  # PROTOCOLS §4: 1 m … 6 h
MAX_REMEMBERED_MSGS = 5000

# Answer codes (PROTOCOLS §4).
OK = 0
BAD_REQUEST = 40000
BAD_SIGN = 40001
NOT_FOUND = 40401
ALREADY_USED = 40901
VOIDED = 40902
WINDOW_CLOSED = 42201
BUSY = 50000
MESSAGES = {
    OK: "success",
    BAD_REQUEST: "bad request",
    BAD_SIGN: "invalid sign",
    NOT_FOUND: "code not found",
    ALREADY_USED: "code already used",
    VOIDED: "code voided",
    WINDOW_CLOSED: "reversal window closed",
    BUSY: "system busy, retry later",
}


def reply(code: int = OK, data: JsonDict | None = None, msg: str | None = None) -> JsonDict:
    return {"code": code, "msg": msg or MESSAGES.get(code, "error"), "data": data or {}}


@dataclass
class WeimallSimConfig:
    """How the simulator behaves; the one default store comes from WEIMALL_STORE_ID/SECRET."""

    store_id: str = "wm-store-1"
    store_secret: str = "wm-secret-1"
    store_name: str = "右姑娘火锅(微商城)"
    # the demo binds every store to wm-store-{n} with the same secret
    extra_store_ids: tuple[str, ...] = ("wm-store-2", "wm-store-3")
    target_base_url: str | None = None  # our service, receives POST /hooks/weimall
    push_timeout_s: float = 8.0
    time_scale: float = 1.0  # multiplies push-retry waits (0.001 in tests)
    reversal_window_s: int = 3600
    tolerance_s: int = 300
    fault_timeout_s: float = 30.0  # how long a "timeout" fault hangs (not scaled)
    retry_schedule_s: tuple[float, ...] = RETRY_SCHEDULE_S
    default_title: str = "60代100元票券抢购"
    default_unit_price_fen: int = 6000
    state_file: str | None = None  # kept across restarts there (SIM_STATE_FILE)


@dataclass
class Store:
    store_id: str
    secret: str
    name: str


@dataclass
class Order:
    order_no: str
    store_id: str
    coupon_id: str
    title: str
    quantity: int
    unit_price_fen: int
    openid: str
    mobile_masked: str
    paid_at: datetime
    status: str = "pending"  # pending → issued | no_codes | failed; refunded
    codes: list[str] = field(default_factory=list)
    attempts: list[JsonDict] = field(default_factory=list)
    replays: list[JsonDict] = field(default_factory=list)
    refunds: list[JsonDict] = field(default_factory=list)


@dataclass
class Code:
    code: str
    order_no: str
    store_id: str
    status: str = "unused"  # unused | used | voided
    uses: list[str] = field(default_factory=list)  # redemption ids, oldest first


@dataclass
class Redemption:
    redemption_id: str
    code: str
    store_id: str
    order_no: str
    discount_fen: int
    redeemed_at: datetime  # what our service says; the statement day follows it
    received_at: datetime  # the mall's clock; the reversal window runs from it
    reversed_at: datetime | None = None
    reason: str = ""


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class SimState(SimBase):
    """All simulator state; `generation` stops retry threads of a previous reset."""

    config: WeimallSimConfig
    default_biz_code = BUSY
    persisted: ClassVar[dict[str, Any]] = {
        "stores": dict[str, Store],
        "products": dict[str, Product],
        "orders": dict[str, Order],
        "codes": dict[str, Code],
        "redemptions": dict[str, Redemption],
        "statements": dict[str, list[JsonDict]],
        "seen": dict[tuple[str, str], JsonDict],
    }

    def __init__(self, config: WeimallSimConfig) -> None:
        super().__init__(config)
        self.reset()

    def reset(self) -> None:
        """Forget orders, codes, uses, pushes, faults and the clock offset; config stays."""
        with self.lock:
            super().reset()
            c = self.config
            self.stores: dict[str, Store] = {
                sid: Store(sid, c.store_secret, c.store_name)
                for sid in (c.store_id, *c.extra_store_ids)
            }
            self.orders: dict[str, Order] = {}
            self.codes: dict[str, Code] = {}
            self.redemptions: dict[str, Redemption] = {}
            self.statements: dict[str, list[JsonDict]] = {}
            self.seen: dict[tuple[str, str], JsonDict] = {}
            self.products: dict[str, Product] = {}

    def restored(self) -> None:
        """The configured stores sign with the configured secret, whatever the file says."""
        c = self.config
        for sid in (c.store_id, *c.extra_store_ids):
            store = self.stores.setdefault(sid, Store(sid, c.store_secret, c.store_name))
            store.secret = c.store_secret

    def secret_for(self, client_id: str) -> str | None:
        with self.lock:
            store = self.stores.get(client_id)
            return store.secret if store else None

    def mint_order_no(self) -> str:
        with self.lock:
            while True:
                stamp = self.clock.now().astimezone(CHINA).strftime("%Y%m%d%H%M%S")
                order_no = "WM" + stamp + "".join(secrets.choice(string.digits) for _ in range(6))
                if order_no not in self.orders:
                    return order_no

    # ---- msg_id dedupe: a resent message gets the first answer again ------------------------
    def seen_answer(self, client_id: str, msg_id: str) -> JsonDict | None:
        with self.lock:
            return self.seen.get((client_id, msg_id))

    def remember(self, client_id: str, msg_id: str, answer: JsonDict) -> None:
        with self.lock:
            self.seen[(client_id, msg_id)] = answer
            while len(self.seen) > MAX_REMEMBERED_MSGS:
                del self.seen[next(iter(self.seen))]

    # ---- views -------------------------------------------------------------------------------
    def order_view(self, order: Order) -> JsonDict:
        with self.lock:
            view = asdict(order)
            view["paid_at"] = iso(order.paid_at)
            view["attempt_count"] = len(order.attempts)
            return view

    def codes_view(self) -> list[JsonDict]:
        with self.lock:
            return [
                {**asdict(c), "use_count": len(c.uses)}
                for c in sorted(self.codes.values(), key=lambda c: c.code)
            ]

    def state_view(self) -> JsonDict:
        with self.lock:
            return {
                "now": self.clock.now().isoformat(),
                "stores": [{"store_id": s.store_id, "name": s.name} for s in self.stores.values()],
                "orders": [self.order_view(o) for o in self.orders.values()],
                "codes": self.codes_view(),
                "redemptions": [
                    {
                        **asdict(r),
                        "redeemed_at": iso(r.redeemed_at),
                        "received_at": iso(r.received_at),
                        "reversed_at": iso(r.reversed_at),
                    }
                    for r in self.redemptions.values()
                ],
                "statements": self.statements,
                "pushes": list(self.pushes),
            }
