"""In-memory state of the Meituan / Dianping simulator: config, clock, shops, sessions, receipts.

Everything lives in one `SimState` guarded by one re-entrant lock; a route takes it for the whole
read-check-write of a business step. Money is integer fen inside, yuan decimals on the wire
(PROTOCOLS §0); times are aware UTC datetimes, shown as Beijing wall-clock text or epoch ms.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from voucherbridge.platforms.meituan.signing import timestamp
from voucherbridge_sims.meituan.catalog import Product
from voucherbridge_sims.simkit.state import JsonDict as JsonDict
from voucherbridge_sims.simkit.state import SimBase

# Envelope codes [M] (PROTOCOLS §2: no public list; the simulator's own).
OK, BAD_REQUEST, UNAUTHORIZED, WRONG_SHOP, NOT_FOUND = 200, 400, 401, 403, 404
NOT_CONSUMED, USED, EXPIRED, TOO_LATE, BUSY, SERVER_ERROR = 406, 409, 410, 412, 429, 500
MESSAGES = {
    OK: "success",
    BAD_REQUEST: "参数错误",
    UNAUTHORIZED: "签名或session无效",
    WRONG_SHOP: "非适用门店",
    NOT_FOUND: "券码不存在",
    NOT_CONSUMED: "券码未验证",
    USED: "券码已验证",
    EXPIRED: "券码已过期",
    TOO_LATE: "超过可撤销时间",
    BUSY: "访问过于频繁",
    SERVER_ERROR: "服务器错误",
}
DEMO_SESSION = "mt-demo-session"
DEMO_BID = "mt-demo-bid"
DEMO_SHOPS = (
    ("mt-shop-1", "右姑娘火锅", "皇岗店", "深圳市福田区皇岗路"),
    ("mt-shop-2", "右姑娘火锅", "福田店", "深圳市福田区福华路"),
    ("mt-shop-3", "右姑娘火锅", "车公庙店", "深圳市福田区深南大道"),
)
DAY_S = 86400


def envelope(code: int = OK, msg: str | None = None, data: Any = None) -> JsonDict:
    return {"code": code, "msg": msg or MESSAGES.get(code, "error"), "data": data}


def yuan(fen: int) -> Decimal:
    """A yuan decimal as Dianping writes it (a JSON number; 3990 -> 39.9), exact: the wire
    writes it with simplejson's use_decimal (wire.answer)."""
    return Decimal(fen) / 100


@dataclass
class MeituanSimConfig:
    """How the simulator behaves; every window and lifetime is configurable."""

    app_key: str = "mt-demo-key"
    app_secret: str = "mt-demo-secret"
    # Meituan never calls us back; kept so every simulator reads the same settings (§6).
    target_base_url: str | None = None
    time_scale: float = 1.0
    reverse_window_s: int = 600  # 撤销验券 refused after 10 minutes [C]
    session_ttl_s: int = 30 * DAY_S  # [M]
    refresh_ttl_s: int = 60 * DAY_S  # [M]
    timestamp_tolerance_s: int = 600  # [M]
    fault_timeout_s: float = 30.0
    demo_session: str = DEMO_SESSION
    state_file: str | None = None  # kept across restarts there (SIM_STATE_FILE)


@dataclass
class Shop:
    open_shop_uuid: str
    shopname: str
    branchname: str
    shopaddress: str = "模拟地址"
    cityname: str = "深圳"

    @property
    def full_name(self) -> str:
        return f"{self.shopname}({self.branchname})" if self.branchname else self.shopname


@dataclass
class Session:
    access_token: str
    refresh_token: str
    bid: str
    shop_ids: list[str]
    expires_at: datetime
    refresh_expires_at: datetime
    remain_refresh_count: int = 12  # [M] value; each refresh spends one


@dataclass
class AuthCode:
    code: str
    bid: str
    shop_ids: list[str]
    used: bool = False
    redirect_url: str = ""  # the authorization page's callback; the exchange must repeat it


@dataclass
class Order:
    """One purchase: a receipt group of ``count`` codes of one deal."""

    order_id: str
    shop_ids: list[str]
    deal_id: str
    dealgroup_id: str
    title: str
    price_fen: int
    market_price_fen: int
    mobile: str
    created_at: datetime
    end_at: datetime
    qr_code: str
    codes: list[str] = field(default_factory=list)


@dataclass
class Receipt:
    receipt_code: str
    order_id: str
    status: str = "unused"  # unused | used | refunded
    consume_seq: int | None = None


@dataclass
class Consume:
    seq: int
    requestid: str
    receipt_code: str
    order_id: str
    deal_id: str
    open_shop_uuid: str
    price_fen: int
    verify_time: datetime
    account: str
    account_name: str
    reversed_at: datetime | None = None


class SimState(SimBase):
    """All simulator state; `lock` guards every field. Nothing runs in the background
    (Meituan pushes nothing), so the retry bookkeeping of `SimBase` stays idle."""

    config: MeituanSimConfig
    default_biz_code = SERVER_ERROR
    persisted: ClassVar[dict[str, Any]] = {
        "shops": dict[str, Shop],
        "sessions": dict[str, Session],
        "auth_codes": dict[str, AuthCode],
        "products": dict[str, Product],
        "orders": dict[str, Order],
        "receipts": dict[str, Receipt],
        "consumes": list[Consume],
        "requestids": dict[str, tuple[tuple[str, ...], JsonDict]],
        "statements": dict[str, list[JsonDict]],
    }

    def __init__(self, config: MeituanSimConfig) -> None:
        super().__init__(config)
        self.reset()

    def reset(self) -> None:
        """Back to the demo state: the demo shops and the demo merchant's session."""
        with self.lock:
            super().reset()
            self.shops: dict[str, Shop] = {s[0]: Shop(*s) for s in DEMO_SHOPS}
            self.sessions: dict[str, Session] = {}
            self.auth_codes: dict[str, AuthCode] = {}
            self.orders: dict[str, Order] = {}
            self.receipts: dict[str, Receipt] = {}
            self.consumes: list[Consume] = []
            self.requestids: dict[str, tuple[tuple[str, ...], JsonDict]] = {}
            self.statements: dict[str, list[JsonDict]] = {}
            self.products: dict[str, Product] = {}
            self.add_session(self.config.demo_session, DEMO_BID, list(self.shops))

    # ---- ids -----------------------------------------------------------------------------
    @staticmethod
    def digits(length: int) -> str:
        return str(secrets.randbelow(9) + 1) + "".join(
            secrets.choice(string.digits) for _ in range(length - 1)
        )

    def mint_receipt_code(self, length: int = 10) -> str:
        while True:
            code = self.digits(length)
            if code not in self.receipts:
                return code

    # ---- sessions ------------------------------------------------------------------------------
    def add_session(self, token: str | None, bid: str, shop_ids: list[str]) -> Session:
        now = self.clock.now()
        with self.lock:
            session = Session(
                access_token=token or "mts." + secrets.token_hex(16),
                refresh_token="mtr." + secrets.token_hex(16),
                bid=bid,
                shop_ids=list(shop_ids),
                expires_at=now + timedelta(seconds=self.config.session_ttl_s),
                refresh_expires_at=now + timedelta(seconds=self.config.refresh_ttl_s),
            )
            self.sessions[session.access_token] = session
            return session

    def session_problem(self, token: str | None) -> tuple[Session | None, str | None]:
        """The session behind ``token`` and what is wrong with it (None: usable)."""
        with self.lock:
            session = self.sessions.get(token or "")
            if session is None:
                return None, "session无效"
            if self.clock.now() >= session.expires_at:
                return session, "session已过期"
            return session, None

    # ---- views ----------------------------------------------------------------------------------
    def usable(self, order: Order) -> list[Receipt]:
        """The order's unused codes (caller holds the lock)."""
        return [self.receipts[c] for c in order.codes if self.receipts[c].status == "unused"]

    def receipt_data(self, receipt: Receipt) -> JsonDict:
        """What prepare answers about one receipt (caller holds the lock)."""
        order = self.orders[receipt.order_id]
        return {
            "receipt_code": receipt.receipt_code,
            "deal_id": int(order.deal_id) if order.deal_id.isdigit() else order.deal_id,
            "dealgroup_id": int(order.dealgroup_id) if order.dealgroup_id.isdigit() else 0,
            "deal_title": order.title,
            "deal_price": yuan(order.price_fen),
            "deal_marketprice": yuan(order.market_price_fen),
            "count": len(self.usable(order)),
            # A string in Dianping's Go SDK model; a real answer carries camelCase epoch ms.
            "receipt_end_date": timestamp(order.end_at),
            "receiptEndDate": int(order.end_at.timestamp()) * 1000,
            "biz_type": 0,
            "mobile": order.mobile,
            "payment_detail": [
                {
                    "payment_detail_id": f"{order.order_id}01",
                    "amount": yuan(order.price_fen),
                    "amount_type": 1,
                }
            ],
        }

    def consume_data(self, consume: Consume) -> JsonDict:
        order = self.orders[consume.order_id]
        return {
            "order_id": consume.order_id,
            "receipt_code": consume.receipt_code,
            "deal_id": int(order.deal_id) if order.deal_id.isdigit() else order.deal_id,
            "deal_title": order.title,
            "deal_price": yuan(consume.price_fen),
            "open_shop_uuid": consume.open_shop_uuid,
            "payment_detail": [
                {
                    "payment_detail_id": f"{order.order_id}01",
                    "amount": yuan(consume.price_fen),
                    "amount_type": 1,
                }
            ],
        }

    def record_of(self, consume: Consume) -> JsonDict:
        """One settlement record of querylistbydate."""
        return {
            **self.consume_data(consume),
            "requestid": consume.requestid,
            "verify_time": timestamp(consume.verify_time),
            "verify_account": consume.account,
        }
