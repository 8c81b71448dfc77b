"""In-memory state of the Douyin simulator: config, simulated clock, entities, faults.

Everything lives in one `SimState` guarded by one re-entrant lock; route handlers take the lock
for the whole read-check-write of a business step and never hold it across network I/O.
Money is integer fen; times are aware UTC datetimes, shown to clients as epoch seconds.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from voucherbridge_sims.douyin.catalog import Product
from voucherbridge_sims.simkit.state import JsonDict as JsonDict
from voucherbridge_sims.simkit.state import SimBase

# Certificate status as served by get/query [M]: 1 unused, 2 used, 3 refunded, 4 expired.
CERT_STATUS = {"unused": 1, "used": 2, "refunded": 3, "expired": 4}
RETRY_SCHEDULE_S = (10.0, 30.0, 60.0, 120.0, 120.0, 240.0)  # PROTOCOLS §1.2 [D]


@dataclass
class DouyinSimConfig:
    """How the simulator behaves; every window and timeout is configurable."""

    client_key: str = "vb-demo-key"
    client_secret: str = "vb-demo-secret"
    target_base_url: str | None = None  # our service, receives SPI calls and webhooks
    spi_timeout_s: float = 8.0
    time_scale: float = 1.0  # multiplies push-retry waits (0.001 in tests)
    token_ttl_s: int = 7200
    token_grace_s: int = 300  # a superseded token lives this long after the new one [D]
    token_rate_limit: int = 500  # token calls per 5 minutes before error 10020 [D]
    cancel_window_s: int = 3600  # verify cancel refused after this [D]
    verify_token_ttl_s: int = 600  # prepare's verify_token lifetime [M]
    fault_timeout_s: float = 30.0  # how long a "timeout" fault hangs (not scaled)
    account_id: str = "7100000000000000001"
    commission_bp: int = 0  # platform service fee on statements, basis points [M]
    retry_schedule_s: tuple[float, ...] = RETRY_SCHEDULE_S
    state_file: str | None = None  # kept across restarts there (SIM_STATE_FILE)


@dataclass
class Token:
    value: str
    issued_at: datetime
    expires_at: datetime
    superseded_at: datetime | None = None


@dataclass
class Poi:
    poi_id: str
    poi_name: str
    account_id: str
    address: str = "模拟地址"


@dataclass
class Order:
    order_id: str
    code_type: str  # "platform" | "merchant"
    poi_ids: list[str]
    sku_id: str
    third_sku_id: str
    title: str
    groupon_type: int
    count: int
    original_amount: int  # per code, fen
    pay_amount: int  # per code, fen
    open_id: str
    created_at: datetime
    start_time: datetime
    expire_time: datetime
    status: str = "paid"  # merchant: issuing, issued, pending, issue_failed; refunded
    certificate_ids: list[str] = field(default_factory=list)
    object_id: str | None = None  # order-level short link (all unused codes)
    short_id: str | None = None
    attempts: list[JsonDict] = field(default_factory=list)


@dataclass
class Certificate:
    certificate_id: str
    order_id: str
    code: str
    encrypted_code: str
    code_type: str
    status: str = "unused"  # unused | used | refunded
    verify_id: str | None = None
    object_id: str | None = None
    short_id: str | None = None


@dataclass
class Verification:
    verify_id: str
    seq: int
    certificate_id: str
    order_id: str
    code: str
    poi_id: str
    verify_time: datetime
    verify_token: str
    verify_type: int  # 1 platform code verified by us, 2 merchant code use sync [M]
    cancelled_at: datetime | None = None


@dataclass
class PrepareSession:
    verify_token: str
    poi_id: str
    order_id: str
    certificate_ids: list[str]
    created_at: datetime
    result: JsonDict | None = None


class SimState(SimBase):
    """All simulator state; `lock` guards every field, `generation` stops stale retry threads."""

    config: DouyinSimConfig
    default_biz_code = 2100004  # 系统繁忙: transient, the client retries
    persisted: ClassVar[dict[str, Any]] = {
        "tokens": list[Token],
        "token_calls": list[datetime],
        "pois": dict[str, Poi],
        "products": dict[str, Product],
        "orders": dict[str, Order],
        "certificates": dict[str, Certificate],
        **dict.fromkeys(("cert_by_code", "cert_by_enc", "short_links"), dict[str, str]),
        "links": dict[str, list[str]],
        "prepares": dict[str, PrepareSession],
        "verifications": dict[str, Verification],
        **dict.fromkeys(("merchant_verifies", "refunds"), dict[str, JsonDict]),
        **dict.fromkeys(("webhooks", "callbacks"), list[JsonDict]),
        "statements": dict[str, list[JsonDict]],
        "revoked_accounts": list[str],
        "groupbuy_closed_accounts": list[str],
    }

    def __init__(self, config: DouyinSimConfig) -> None:
        super().__init__(config)
        self.reset()

    def app_authorized(self, account_id: str) -> bool:
        """Has this 抖音来客 account authorized our app? Known accounts have, unless revoked."""
        known = {self.config.account_id, *(p.account_id for p in self.pois.values())}
        return account_id in known and account_id not in self.revoked_accounts

    def groupbuy_open(self, account_id: str) -> bool:
        """Has this account opened group-buy (团购)? Yes, unless closed through /_sim/groupbuy."""
        return account_id not in self.groupbuy_closed_accounts

    def account_of_poi(self, poi_id: str) -> str:
        poi = self.pois.get(poi_id)
        return poi.account_id if poi is not None else self.config.account_id

    def reset(self) -> None:
        """Forget everything (tokens, orders, codes, faults, clock offset); config stays."""
        with self.lock:
            super().reset()
            self.tokens: list[Token] = []
            self.token_calls: list[datetime] = []
            self.pois: dict[str, Poi] = {}
            # Accounts that withdrew (or never gave) their authorization of the app.
            self.revoked_accounts: list[str] = []
            self.groupbuy_closed_accounts: list[str] = []  # 团购未开启 (seed 002's FAQ)
            self.orders: dict[str, Order] = {}
            self.certificates: dict[str, Certificate] = {}
            self.cert_by_code: dict[str, str] = {}
            self.cert_by_enc: dict[str, str] = {}
            self.links: dict[str, list[str]] = {}  # object_id -> certificate ids
            self.short_links: dict[str, str] = {}  # short id -> object_id
            self.prepares: dict[str, PrepareSession] = {}
            self.merchant_verifies: dict[str, JsonDict] = {}
            self.verifications: dict[str, Verification] = {}
            self.webhooks: list[JsonDict] = []
            self.statements: dict[str, list[JsonDict]] = {}
            self.callbacks: list[JsonDict] = []
            self.refunds: dict[str, JsonDict] = {}
            self.products: dict[str, Product] = {}

    # ---- ids -----------------------------------------------------------------------------
    def mint_digits(self, length: int, taken: dict[str, Any] | None = None) -> str:
        while True:
            value = str(secrets.randbelow(9) + 1) + "".join(
                secrets.choice(string.digits) for _ in range(length - 1)
            )
            if taken is None or value not in taken:
                return value

    def mint_id(self) -> str:
        """A 19-digit id (order, certificate, verify ids are strings on the wire)."""
        return self.mint_digits(19)

    @staticmethod
    def mint_opaque(nbytes: int = 25) -> str:
        """Opaque base64 text (may hold ``+ / =``, so clients must URL-encode it)."""
        return base64.b64encode(secrets.token_bytes(nbytes)).decode()

    @staticmethod
    def mint_short_id() -> str:
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))

    @staticmethod
    def logid() -> str:
        return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()

    # ---- entities ----------------------------------------------------------------------------
    def ensure_poi(self, poi_id: str, poi_name: str | None = None) -> Poi:
        with self.lock:
            poi = self.pois.get(poi_id)
            if poi is None:
                poi = Poi(poi_id, poi_name or f"模拟门店{poi_id}", self.config.account_id)
                self.pois[poi_id] = poi
            elif poi_name:
                poi.poi_name = poi_name
            return poi

    def add_certificate(self, order: Order, code: str, certificate_id: str | None) -> Certificate:
        """Register one code of an order (caller holds the lock)."""
        cert_id = certificate_id or self.mint_digits(19, self.certificates)
        cert = Certificate(
            certificate_id=cert_id,
            order_id=order.order_id,
            code=code,
            encrypted_code=self.mint_opaque(),
            code_type=order.code_type,
        )
        self.certificates[cert_id] = cert
        self.cert_by_code[code] = cert_id
        self.cert_by_enc[cert.encrypted_code] = cert_id
        order.certificate_ids.append(cert_id)
        return cert

    def queue_webhook(self, event: str, content: JsonDict) -> None:
        """Queue a webhook message for /_sim/douyin/webhooks/flush (caller may hold the lock)."""
        with self.lock:
            self.webhooks.append(
                {"msg_id": "sim-" + secrets.token_hex(12), "event": event, "content": content}
            )

    def add_link(self, certificate_ids: list[str]) -> tuple[str, str]:
        """A short link (``/s/{short_id}``) whose long URL carries ``object_id``."""
        object_id = self.mint_opaque(20)
        short_id = self.mint_short_id()
        self.links[object_id] = list(certificate_ids)
        self.short_links[short_id] = object_id
        return short_id, object_id

    def token_valid(self, value: str | None) -> str | None:
        """None when the token is usable, else ``"invalid"`` or ``"expired"``."""
        now = self.clock.now()
        with self.lock:
            live = self.tokens[-2:]
            for index, token in enumerate(live):
                if token.value != value:
                    continue
                if now >= token.expires_at:
                    return "expired"
                if index == 0 and len(live) == 2 and token.superseded_at is not None:
                    grace = timedelta(seconds=self.config.token_grace_s)
                    if now >= token.superseded_at + grace:
                        return "expired"
                return None
            if any(token.value == value for token in self.tokens):
                return "expired"
        return "invalid"

    def issue_token(self, stable: bool) -> Token:
        """Stable: the latest token while it is valid; plain: always a new one."""
        now = self.clock.now()
        with self.lock:
            if stable and self.tokens and now < self.tokens[-1].expires_at:
                return self.tokens[-1]
            if self.tokens:
                self.tokens[-1].superseded_at = now
            token = Token(
                value="clt." + secrets.token_hex(20),
                issued_at=now,
                expires_at=now + timedelta(seconds=self.config.token_ttl_s),
            )
            self.tokens.append(token)
            return token

    def count_token_call(self) -> bool:
        """Record a token call; False when over the 5-minute rate limit."""
        now = self.clock.now()
        with self.lock:
            window_start = now - timedelta(minutes=5)
            self.token_calls = [t for t in self.token_calls if t > window_start]
            self.token_calls.append(now)
            return len(self.token_calls) <= self.config.token_rate_limit
