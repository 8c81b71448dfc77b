"""The WeChat Pay v3 adapter (JSAPI): place an order, check a notify, open its resource.

Wire format (WeChat Pay API v3, docs/self-pay.md): our requests carry ``Authorization:
WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"``,
RSA-SHA256 (PKCS#1 v1.5) by our private key over ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n``;
WeChat's answers and notifies are signed with its platform key over
``TIMESTAMP\\nNONCE\\nBODY\\n`` (headers ``Wechatpay-Timestamp/-Nonce/-Signature/-Serial``); a
notify's ``resource`` is AEAD_AES_256_GCM under the APIv3 key. All of it with `cryptography`.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from voucherbridge.config import Settings
from voucherbridge.domain.errors import DomainError, ErrorCode

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
JSAPI_PATH = "/v3/pay/transactions/jsapi"


@dataclass(frozen=True, kw_only=True)
class JsapiOrder:
    """What we ask WeChat Pay for: one JSAPI payment of `total_fen` by `openid`."""

    description: str
    out_trade_no: str
    notify_url: str
    total_fen: int
    openid: str


def _pem(text: str) -> bytes:
    """PEM from settings: real line breaks, or ``\\n`` written in one environment line."""
    return text.replace("\\n", "\n").strip().encode()


class WeChatPay:
    """One merchant account (商户号) of WeChat Pay v3, from the VOUCHERBRIDGE_WECHATPAY_*
    settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.wechatpay_base_url.rstrip("/")
        self.mchid = settings.wechatpay_mchid
        self.appid = settings.wechat_appid
        self._private: rsa.RSAPrivateKey | None = None
        self._platform: rsa.RSAPublicKey | None = None

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(
            s.wechatpay_mchid
            and s.wechatpay_apiv3_key
            and s.wechatpay_private_key
            and s.wechatpay_platform_public_key
        )

    def pay_page_url(self, prepay_id: str) -> str:
        """Where the phone confirms the payment. A real phone calls WeixinJSBridge's
        getBrandWCPayRequest with the prepay id; the simulator serves that sheet as a page."""
        return f"{self.base_url}/_sim/wechatpay/pay?prepay_id={prepay_id}"

    # ---- keys -------------------------------------------------------------------------------
    def _our_key(self) -> rsa.RSAPrivateKey:
        if self._private is None:
            key = serialization.load_pem_private_key(
                _pem(self.settings.wechatpay_private_key), None
            )
            if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - a wrong setting
                raise DomainError(ErrorCode.PAYMENT_NOT_CONFIGURED)
            self._private = key
        return self._private

    def _platform_key(self) -> rsa.RSAPublicKey:
        if self._platform is None:
            key = serialization.load_pem_public_key(
                _pem(self.settings.wechatpay_platform_public_key)
            )
            if not isinstance(key, rsa.RSAPublicKey):  # pragma: no cover - a wrong setting
                raise DomainError(ErrorCode.PAYMENT_NOT_CONFIGURED)
            self._platform = key
        return self._platform

    def authorization(self, method: str, path: str, body: str) -> str:
        """The Authorization header of one request."""
        stamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{method}\n{path}\n{stamp}\n{nonce}\n{body}\n"
        raw = self._our_key().sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        signature = base64.b64encode(raw).decode()
        return (
            f'{SCHEMA} mchid="{self.mchid}",nonce_str="{nonce}",timestamp="{stamp}",'
            f'serial_no="{self.settings.wechatpay_serial}",signature="{signature}"'
        )

    # ---- calls ------------------------------------------------------------------------------
    def create_jsapi(self, order: JsapiOrder) -> str:
        """JSAPI 下单: the prepay_id (`wechatpay_unavailable` when WeChat Pay cannot be
        reached or refuses; its answer's signature is checked like a notify's)."""
        if not self.configured:
            raise DomainError(ErrorCode.PAYMENT_NOT_CONFIGURED)
        body = json.dumps(
            {
                "appid": self.appid,
                "mchid": self.mchid,
                "description": order.description,
                "out_trade_no": order.out_trade_no,
                "notify_url": order.notify_url,
                "amount": {"total": order.total_fen, "currency": "CNY"},
                "payer": {"openid": order.openid},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        headers = {
            "Authorization": self.authorization("POST", JSAPI_PATH, body),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        try:
            response = httpx.post(
                self.base_url + JSAPI_PATH,
                content=body.encode(),
                headers=headers,
                timeout=self.settings.platform_timeout_s,
            )
        except httpx.HTTPError as exc:
            raise DomainError(ErrorCode.WECHATPAY_UNAVAILABLE) from exc
        if response.status_code != 200 or not self.verify(response.headers, response.text):
            raise DomainError(ErrorCode.WECHATPAY_UNAVAILABLE, status=response.status_code)
        prepay = response.json().get("prepay_id")
        if not isinstance(prepay, str) or not prepay:
            raise DomainError(ErrorCode.WECHATPAY_UNAVAILABLE)
        return prepay

    def verify(self, headers: Mapping[str, str], body: str) -> bool:
        """Whether `body` with these Wechatpay-* headers was signed by WeChat Pay's platform
        key (and is no older than the callback tolerance)."""
        stamp = headers.get("wechatpay-timestamp", "")
        nonce = headers.get("wechatpay-nonce", "")
        signature = headers.get("wechatpay-signature", "")
        serial = headers.get("wechatpay-serial", "")
        if not (stamp.isdigit() and nonce and signature):
            return False
        if serial != self.settings.wechatpay_platform_serial:
            return False
        if abs(time.time() - int(stamp)) > self.settings.callback_tolerance_s:
            return False
        try:
            self._platform_key().verify(
                base64.b64decode(signature, validate=True),
                f"{stamp}\n{nonce}\n{body}\n".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def open_resource(self, resource: Any) -> dict[str, Any]:
        """The plaintext of a notify's ``resource`` (AEAD_AES_256_GCM under the APIv3 key);
        `invalid_signature` when it does not open (a forged or damaged notify)."""
        if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise DomainError(ErrorCode.INVALID_SIGNATURE)
        try:
            plain = AESGCM(self.settings.wechatpay_apiv3_key.encode()).decrypt(
                str(resource.get("nonce", "")).encode(),
                base64.b64decode(str(resource.get("ciphertext", ""))),
                str(resource.get("associated_data") or "").encode(),
            )
            data = json.loads(plain)
        except (InvalidTag, ValueError) as exc:
            raise DomainError(ErrorCode.INVALID_SIGNATURE) from exc
        if not isinstance(data, dict):
            raise DomainError(ErrorCode.INVALID_SIGNATURE)
        return data
