"""WeChat Pay v3's cryptography as the platform does it (the simulator's own copy, written from
WeChat's documentation rather than taken from the product, so the two check each other).

- Requests to the platform carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",
  nonce_str="…",timestamp="…",serial_no="…",signature="…"``: RSA PKCS#1 v1.5 with SHA-256,
  by the merchant's private key, over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
- The platform's answers and notifies carry ``Wechatpay-Timestamp``, ``-Nonce``, ``-Serial``
  and ``-Signature``: the platform's key over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- A notify's ``resource`` is AES-256-GCM under the merchant's 32-byte APIv3 key: base64 of
  ciphertext and tag, a 12-character nonce, associated data.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
_FIELD = re.compile(r'(\w+)="([^"]*)"')
_ALNUM = string.ascii_letters + string.digits


@dataclass
class PayKeys:
    """The key material of one merchant account (PEM text, kept in the simulator's state)."""

    mchid: str
    apiv3_key: str  # 32 ASCII characters
    merchant_private_key: str  # the merchant's (ours): signs our requests
    merchant_serial: str  # its certificate serial, named in our Authorization header
    platform_private_key: str  # WeChat's: signs answers and notifies
    platform_public_key: str
    platform_serial: str  # Wechatpay-Serial


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_keys(mchid: str) -> PayKeys:
    """Fresh keys for a simulator start: two RSA-2048 pairs, serials and an APIv3 key."""
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return PayKeys(
        mchid=mchid,
        apiv3_key=nonce(32),
        merchant_private_key=_pem_private(merchant),
        merchant_serial=secrets.token_hex(20).upper(),
        platform_private_key=_pem_private(platform),
        platform_public_key=_pem_public(platform.public_key()),
        platform_serial=secrets.token_hex(20).upper(),
    )


def merchant_public_key(keys: PayKeys) -> rsa.RSAPublicKey:
    private = serialization.load_pem_private_key(keys.merchant_private_key.encode(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private.public_key()


def sign(private_pem: str, message: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    raw = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def verify(public: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public.verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def authorization_fields(header: str) -> dict[str, str] | None:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048 k="v",…`` header (None: another scheme)."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SCHEMA:
        return None
    return dict(_FIELD.findall(rest))


def request_message(method: str, path: str, timestamp: str, nonce_str: str, body: str) -> str:
    return f"{method}\n{path}\n{timestamp}\n{nonce_str}\n{body}\n"


def signed_headers(keys: PayKeys, timestamp: int, body: str) -> dict[str, str]:
    """The Wechatpay-* headers of an answer or a notify whose body is `body`."""
    nonce_str = nonce()
    message = f"{timestamp}\n{nonce_str}\n{body}\n"
    return {
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce_str,
        "Wechatpay-Signature": sign(keys.platform_private_key, message),
        "Wechatpay-Serial": keys.platform_serial,
        "Wechatpay-Signature-Type": SCHEMA,
    }


def encrypt_resource(apiv3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    """The ``resource`` object of a notify: AEAD_AES_256_GCM of `plaintext`."""
    iv = nonce(12)
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        iv.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "original_type": "transaction",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": iv,
    }
