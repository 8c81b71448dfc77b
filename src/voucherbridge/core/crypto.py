"""Platform secrets at rest: Fernet (AES-128-CBC + HMAC) under a key derived from settings."""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import secrets
from datetime import datetime
from pathlib import Path

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
        # Every signed push opens its binding's secret (a flash sale: thousands a minute). The
        # row is still read per push, so an unbinding or a new secret counts at once; what is
        # kept is only the opening of a sealed text seen before (a failure is never kept).
        self._opened = functools.lru_cache(maxsize=1024)(self._decrypt)

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._opened(sealed)

    def _decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:  # the key changed, or the row was tampered with
            raise ValueError("binding secret cannot be decrypted with this secret key") from exc


class ExpiringSeal:
    """Sealed, timestamped values a browser carries for us and gives back (an OAuth ``state``):
    unreadable and unforgeable outside, refused once older than ``ttl_s``."""

    def __init__(self, secret_key: str, purpose: bytes, ttl_s: int) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(subkey(secret_key, purpose)))
        self.ttl_s = ttl_s

    def seal(self, plain: str, now: datetime) -> str:
        return self._fernet.encrypt_at_time(plain.encode(), int(now.timestamp())).decode()

    def open(self, sealed: str, now: datetime) -> str | None:
        """The value, or None when forged, altered or expired."""
        try:
            opened = self._fernet.decrypt_at_time(sealed.encode(), self.ttl_s, int(now.timestamp()))
        except (InvalidToken, ValueError):
            return None
        return opened.decode()


def read_or_create_key(path: Path) -> str:
    """The random key kept in `path` (readable by its owner only), made on first use.

    The file is written in full under another name and then linked into place, so a second
    process starting at the same moment reads the winner's key, never half a file."""
    key = _read_key(path)
    if key:
        return key
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(scratch, path)
        except FileExistsError:
            if not _read_key(path):  # an empty file keeps nothing sealed: take its place
                os.replace(scratch, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()
    return _read_key(path)


def _read_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
    if path.stat().st_mode & 0o077:  # copied around with looser rights: close them again
        path.chmod(0o600)
    return key
