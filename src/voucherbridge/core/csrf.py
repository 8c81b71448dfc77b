"""CSRF tokens bound to a session: an HMAC of the session id, so nothing is stored server-side."""

from __future__ import annotations

import hashlib
import hmac


def token_for(secret_key: str, session_id: str) -> str:
    """The token forms of this session must carry."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def is_valid(secret_key: str, session_id: str, token: str | None) -> bool:
    """Constant-time check of a submitted token."""
    return bool(token) and hmac.compare_digest(token_for(secret_key, session_id), token or "")


def is_same_origin(origin: str | None, host: str | None) -> bool:
    """A sign-in form posted from another site is refused (login CSRF: it would put a counter
    or a desk into someone else's session). Browsers send Origin on every cross-site POST;
    its absence (an old client, a test) is let through."""
    if not origin:
        return True
    return origin.partition("://")[2].rstrip("/") == (host or "")


# The cashier page keeps the till's key in this HttpOnly cookie; the Terminal API accepts it
# only with the session's CSRF token in this header.
CASHIER_COOKIE = "vb_cashier"
CSRF_HEADER = "X-CSRF-Token"
