"""The micro-mall's signed envelope (PROTOCOLS.md §4, modelled on Youzan push messages).

Both directions carry ``{client_id, msg_id, type, version, test, send_count, msg, sign}``:
``msg`` is the compact UTF-8 JSON payload, URL-encoded (`urllib.parse.quote`), and
``sign = md5(client_id + msg + client_secret)`` in lower hex, computed over the *encoded* msg so
that the receiver checks exactly the bytes it got, before decoding anything.

The md5 covers ``msg`` only, so what decides the action must be inside it. Our addition [M]:
the decoded payload always carries ``"type"``, ``"msg_id"`` and ``"timestamp"`` (epoch seconds),
set by `build_envelope`; a receiver refuses an envelope whose outer ``type`` or ``msg_id`` differs
from the signed ones (a captured purchase replayed as a refund) or whose timestamp is more than
``tolerance_s`` (300 s) away from its own now, and it answers a ``msg_id`` it has acted on with
its first answer.
``send_count`` is outside the signature on purpose: a resend of the same message bumps it without
re-signing, as Youzan's ``sendCount`` does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

ENVELOPE_VERSION = "1.0"
DEFAULT_TOLERANCE_S = 300


class SignatureError(Exception):
    """The message is not one we may act on; ``reason`` says why (never contains the secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(client_id: str, encoded_msg: str, secret: str) -> str:
    """``md5(client_id + msg + client_secret)`` in lower hex, over the URL-encoded msg."""
    return hashlib.md5((client_id + encoded_msg + secret).encode("utf-8")).hexdigest()


def encode_msg(payload: dict[str, Any]) -> str:
    return quote(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def build_envelope(
    client_id: str,
    secret: str,
    type_: str,
    payload: dict[str, Any],
    *,
    now_s: int,
    msg_id: str | None = None,
    test: bool = False,
    send_count: int = 1,
) -> dict[str, Any]:
    """A signed envelope; ``type``, ``msg_id`` and ``timestamp`` are added to (a copy of) the
    payload, so the signature covers them."""
    msg_id = msg_id or uuid.uuid4().hex
    msg = encode_msg({**payload, "type": type_, "msg_id": msg_id, "timestamp": int(now_s)})
    return {
        "client_id": client_id,
        "msg_id": msg_id,
        "type": type_,
        "version": ENVELOPE_VERSION,
        "test": test,
        "send_count": send_count,
        "msg": msg,
        "sign": sign(client_id, msg, secret),
    }


def _text(envelope: dict[str, Any], key: str) -> str:
    value = envelope.get(key)
    if not isinstance(value, str) or not value:
        raise SignatureError(f"malformed envelope: {key} missing")
    return value


def open_envelope(
    raw_body: bytes,
    secret_for: Callable[[str], str | None],
    now_s: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> tuple[str, str, dict[str, Any], str]:
    """Check and decode one envelope: ``(client_id, type, payload, msg_id)``.

    The signature is checked before the msg is decoded, so nothing unsigned is ever parsed
    beyond the envelope itself. Raises `SignatureError` for a malformed body, an unknown
    client, a wrong signature, an outer type or msg_id that is not the signed one, or a
    timestamp outside ``tolerance_s`` of ``now_s``.
    """
    try:
        envelope = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignatureError("malformed envelope: not JSON") from exc
    if not isinstance(envelope, dict):
        raise SignatureError("malformed envelope: not an object")
    client_id = _text(envelope, "client_id")
    msg = _text(envelope, "msg")
    given = _text(envelope, "sign")
    type_ = _text(envelope, "type")
    msg_id = _text(envelope, "msg_id")
    secret = secret_for(client_id)
    if not secret:
        raise SignatureError("unknown client")
    expected = sign(client_id, msg, secret)
    # Bytes, because compare_digest refuses non-ASCII str and a forged sign may contain any.
    if not hmac.compare_digest(expected.encode(), given.lower().encode("utf-8")):
        raise SignatureError("invalid sign")
    try:
        payload = json.loads(unquote(msg, errors="strict"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignatureError("malformed msg: not URL-encoded JSON") from exc
    if not isinstance(payload, dict):
        raise SignatureError("malformed msg: not an object")
    timestamp = payload.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise SignatureError("malformed msg: timestamp missing")
    if abs(int(now_s) - timestamp) > tolerance_s:
        raise SignatureError("timestamp out of tolerance")
    if payload.get("type") != type_ or payload.get("msg_id") != msg_id:
        raise SignatureError("type or msg_id not the signed one")
    return client_id, type_, payload, msg_id
