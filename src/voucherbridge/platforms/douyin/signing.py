"""Douyin signature schemes (PROTOCOLS §1.2 SPI signature, §1.3 webhook signature).

Pure functions shared by our adapter (verifying what Douyin sends us) and the simulator (signing
what it sends to us). Everything works on raw body bytes; compares are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

QueryValue = str | Sequence[str]
Query = Mapping[str, QueryValue]


def spi_string(client_secret: str, query: Query, body: bytes) -> bytes:
    """The bytes that get hashed: ``secret&k1=v1&k2=v2[&http_body=<raw body>]``.

    Pairs are sorted by key, then by value for repeated keys; ``sign`` is left out. The body
    segment is omitted when the body is empty. (With an empty query this yields
    ``secret&http_body=...``: parts are joined, not concatenated around a fixed ``&``.)
    """
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if key == "sign":
            continue
        if isinstance(value, str):
            pairs.append((key, value))
        else:
            pairs.extend((key, item) for item in value)
    pairs.sort()
    parts = [client_secret.encode()] + [f"{k}={v}".encode() for k, v in pairs]
    if body:
        parts.append(b"http_body=" + body)
    return b"&".join(parts)


def spi_sign(client_secret: str, query: Query, body: bytes) -> tuple[str, str]:
    """Return ``(x-life-sign, legacy sign)``: lower-case hex sha256 and md5 of the SPI string."""
    raw = spi_string(client_secret, query, body)
    return hashlib.sha256(raw).hexdigest(), hashlib.md5(raw).hexdigest()


def verify_spi(
    client_secret: str,
    query: Query,
    body: bytes,
    x_life_sign: str | None,
    legacy_sign: str | None = None,
) -> bool:
    """Check an inbound SPI call: ``x-life-sign`` when present, else the legacy md5 ``sign``.

    A present but wrong ``x-life-sign`` is a failure (no downgrade to md5).
    """
    new_sign, old_sign = spi_sign(client_secret, query, body)
    if x_life_sign:
        return hmac.compare_digest(x_life_sign.strip().lower().encode(), new_sign.encode())
    if legacy_sign:
        return hmac.compare_digest(legacy_sign.strip().lower().encode(), old_sign.encode())
    return False


def signed_spi_query(
    client_key: str, client_secret: str, body: bytes, timestamp_ms: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Query params and headers Douyin sends with an SPI call (used by the simulator)."""
    query = {"client_key": client_key, "timestamp": str(timestamp_ms)}
    new_sign, old_sign = spi_sign(client_secret, query, body)
    headers = {"x-life-clientkey": client_key, "x-life-sign": new_sign}
    return {**query, "sign": old_sign}, headers


def webhook_signature(client_secret: str, raw_body: bytes) -> str:
    """``X-Douyin-Signature``: hex sha1 of ``client_secret + raw_body`` (SHA-1, not HMAC)."""
    return hashlib.sha1(client_secret.encode() + raw_body).hexdigest()


def verify_webhook(client_secret: str, raw_body: bytes, signature: str | None) -> bool:
    """Constant-time check of a webhook's ``X-Douyin-Signature`` header."""
    if not signature:
        return False
    expected = webhook_signature(client_secret, raw_body)
    return hmac.compare_digest(signature.strip().lower().encode(), expected.encode())
