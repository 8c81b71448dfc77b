"""WeChat Pay v3 (JSAPI) in the simulator: the orders placed by merchants, paying one (the
stand-in for WeixinJSBridge's pay sheet) and the signed, encrypted payment notify sent to the
merchant's ``notify_url``, retried on WeChat's schedule until the merchant answers 2xx.

One `PayBook` per simulator (``app.state.pay``), under the simulator's lock; its keys are made
at start (`pay_crypto.new_keys`) and handed to our service through its settings (the demo reads
them from ``GET /_sim/wechatpay/credentials``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import httpx

from voucherbridge_sims.simkit.push import start_retries
from voucherbridge_sims.simkit.state import JsonDict, SimBase
from voucherbridge_sims.wechat import pay_crypto
from voucherbridge_sims.wechat.pay_crypto import PayKeys
from voucherbridge_sims.wechat.state import CHINA

# WeChat Pay's notify retries: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h.
RETRY_SCHEDULE = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
DEFAULT_MCHID = "1900000109"
NOTIFY_TIMEOUT_S = 5.0


@dataclass
class PayOrder:
    prepay_id: str
    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    total: int
    currency: str
    openid: str
    created_at: datetime
    trade_state: str = "NOTPAY"  # NOTPAY -> SUCCESS
    transaction_id: str = ""
    success_time: datetime | None = None
    notify_body: str = ""  # the last notify sent (replayed by /_sim/wechatpay/replay)
    notified: bool = False  # our service answered 2xx
    attempts: list[JsonDict] = field(default_factory=list)

    def view(self) -> JsonDict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["success_time"] = self.success_time.isoformat() if self.success_time else None
        return data


def china_time(when: datetime) -> str:
    """RFC 3339 in China time, as WeChat Pay writes it (2026-12-02T18:00:00+08:00)."""
    return when.astimezone(CHINA).replace(microsecond=0).isoformat()


class PayBook:
    """The merchant account's keys and its orders."""

    def __init__(self, sim: SimBase, mchid: str | None = None) -> None:
        self.sim = sim
        self.keys: PayKeys = pay_crypto.new_keys(
            mchid or os.environ.get("WECHATPAY_MCHID") or DEFAULT_MCHID
        )
        self.merchant_public = pay_crypto.merchant_public_key(self.keys)
        self.orders: dict[str, PayOrder] = {}  # by prepay_id
        self._by_trade_no: dict[str, str] = {}

    def credentials(self, appid: str) -> JsonDict:
        """What our service's settings need (VOUCHERBRIDGE_WECHATPAY_*)."""
        k = self.keys
        return {
            "mchid": k.mchid,
            "appid": appid,
            "apiv3_key": k.apiv3_key,
            "merchant_private_key": k.merchant_private_key,
            "merchant_serial": k.merchant_serial,
            "platform_public_key": k.platform_public_key,
            "platform_serial": k.platform_serial,
        }

    # ---- orders -----------------------------------------------------------------------------
    def place(self, ask: JsonDict) -> tuple[PayOrder | None, str]:
        """A JSAPI order for `ask` (checked already); the same out_trade_no with the same
        content gets the same prepay_id, with other content ``OUT_TRADE_NO_USED``."""
        with self.sim.lock:
            known = self._by_trade_no.get(ask["out_trade_no"])
            if known is not None:
                order = self.orders[known]
                same = (order.total, order.openid, order.appid) == (
                    ask["total"],
                    ask["openid"],
                    ask["appid"],
                )
                if order.trade_state == "SUCCESS":
                    return None, "ORDERPAID"
                return (order, "") if same else (None, "OUT_TRADE_NO_USED")
            order = PayOrder(
                prepay_id="wx" + secrets.token_hex(15),
                appid=ask["appid"],
                mchid=ask["mchid"],
                description=ask["description"],
                out_trade_no=ask["out_trade_no"],
                notify_url=ask["notify_url"],
                total=ask["total"],
                currency=ask["currency"],
                openid=ask["openid"],
                created_at=self.sim.clock.now(),
            )
            self.orders[order.prepay_id] = order
            self._by_trade_no[order.out_trade_no] = order.prepay_id
            return order, ""

    def by_trade_no(self, out_trade_no: str) -> PayOrder | None:
        with self.sim.lock:
            prepay = self._by_trade_no.get(out_trade_no)
            return self.orders.get(prepay) if prepay else None

    def pay(self, prepay_id: str) -> PayOrder | None:
        """The payer confirmed: SUCCESS, then the notify (again on WeChat's schedule)."""
        with self.sim.lock:
            order = self.orders.get(prepay_id)
            if order is None:
                return None
            if order.trade_state == "SUCCESS":
                return order
            order.trade_state = "SUCCESS"
            order.transaction_id = "42000" + "".join(
                secrets.choice("0123456789") for _ in range(23)
            )
            order.success_time = self.sim.clock.now()
            order.notify_body = self.notify_body(order)
        self.send_notify(order, retry=True)
        return order

    # ---- the notify -------------------------------------------------------------------------
    def notify_body(self, order: PayOrder, **override: Any) -> str:
        """The notify as WeChat Pay v3 sends it: TRANSACTION.SUCCESS with the transaction
        encrypted under the APIv3 key. `override` changes fields of the plaintext (tests)."""
        assert order.success_time is not None
        total = int(override.get("amount_total", order.total))
        plain = {
            "mchid": override.get("mchid", order.mchid),
            "appid": order.appid,
            "out_trade_no": override.get("out_trade_no", order.out_trade_no),
            "transaction_id": order.transaction_id,
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": china_time(order.success_time),
            "payer": {"openid": order.openid},
            "amount": {
                "total": total,
                "payer_total": total,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        resource = pay_crypto.encrypt_resource(
            self.keys.apiv3_key, json.dumps(plain, ensure_ascii=False), "transaction"
        )
        body = {
            "id": secrets.token_hex(18),
            "create_time": china_time(self.sim.clock.now()),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": resource,
        }
        return json.dumps(body, ensure_ascii=False)

    def send_notify(
        self, order: PayOrder, *, retry: bool, body: str | None = None, url: str | None = None
    ) -> JsonDict:
        """POST the notify (`body`, else the order's) to its notify_url, signed afresh; on a
        non-2xx answer with `retry`, again on WeChat's schedule in a background thread."""
        content = body if body is not None else order.notify_body
        notify_url = url or order.notify_url

        def attempt(number: int) -> JsonDict:
            headers = {
                "Content-Type": "application/json",
                **pay_crypto.signed_headers(self.keys, self.sim.clock.now_s(), content),
            }
            entry: JsonDict = {
                "url": notify_url,
                "kind": "pay_notify",
                "out_trade_no": order.out_trade_no,
                "attempt": number,
                "at": self.sim.clock.now().isoformat(),
                "headers": headers,
            }
            entry.update(status_code=None, answer=None, error=None, ok=False)
            try:  # to the notify_url the merchant gave, whatever target_base_url says
                response = httpx.post(
                    notify_url,
                    content=content.encode(),
                    headers=headers,
                    timeout=NOTIFY_TIMEOUT_S,
                )
                entry["status_code"] = response.status_code
                entry["answer"] = response.text[:500]
                entry["ok"] = 200 <= response.status_code < 300
            except httpx.HTTPError as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
            self.sim.record_push(entry, order.attempts)
            if entry["ok"]:
                order.notified = True
            return entry

        first = attempt(1)
        if not first["ok"] and retry:
            start_retries(
                f"wechatpay-notify-{order.out_trade_no}",
                self.sim,
                self.sim.generation,
                RETRY_SCHEDULE,
                attempt,
                on_answer=lambda _data: None,
                on_give_up=lambda: None,
            )
        return first
