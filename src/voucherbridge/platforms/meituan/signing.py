"""Dianping open API (北极星) request signing, PROTOCOLS.md §2.

Every call carries the common params ``app_key, timestamp, session, format, v, sign_method`` and
``sign = md5(app_secret + k1v1k2v2... + app_secret)`` (lower-case hex) over all params but
``sign``, sorted by key. Pure functions shared by our client (signing) and the simulator
(checking, constant-time).

Meituan never calls us (no webhooks, no SPI), so unlike Douyin and the micro-mall there is no
inbound verifier: this module only signs what we send.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# Dianping's documented timestamp is a wall-clock time without zone: Beijing time [M].
CHINA = ZoneInfo("Asia/Shanghai")


def sign(app_secret: str, params: Mapping[str, str]) -> str:
    """The ``sign`` of a parameter set (``sign`` itself is left out)."""
    concat = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hashlib.md5((app_secret + concat + app_secret).encode()).hexdigest()


def verify(app_secret: str, params: Mapping[str, str]) -> bool:
    """Constant-time check of a request's ``sign``."""
    given = params.get("sign") or ""
    return hmac.compare_digest(given.strip().lower().encode(), sign(app_secret, params).encode())


def timestamp(now: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time."""
    return now.astimezone(CHINA).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """The aware time of a ``timestamp`` param; ValueError when malformed."""
    return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=CHINA)


def signed_params(
    app_key: str,
    app_secret: str,
    session: str | None,
    params: Mapping[str, str],
    now: datetime,
) -> dict[str, str]:
    """``params`` plus the common params and their ``sign``, ready to form-encode."""
    full = {
        **params,
        "app_key": app_key,
        "timestamp": timestamp(now),
        "format": "json",
        "v": "1",
        "sign_method": "MD5",
    }
    if session is not None:
        full["session"] = session
    full["sign"] = sign(app_secret, full)
    return full
