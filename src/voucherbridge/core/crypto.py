"""Platform secrets at rest: Fernet (AES-128-CBC + HMAC) under a key derived from settings."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def subkey(secret_key: str, purpose: bytes) -> bytes:
    """A 32-byte key of its own for each use of the one secret key in settings."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"voucherbridge", info=purpose).derive(
        secret_key.encode()
    )


class SecretBox:
    """Seals binding secrets before they reach the database, opens them for signing calls."""

    def __init__(self, secret_key: str) -> None:
        derived = subkey(secret_key, b"platform binding secrets v1")
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:  # the key changed, or the row was tampered with
            raise ValueError("binding secret cannot be decrypted with this secret key") from exc
