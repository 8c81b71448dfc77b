"""Security headers on every response: pages may not be framed, run scripts from elsewhere or
leak their URLs (console paths carry codes and ids) to other sites; no file is MIME-sniffed.

Our pages load only our own `/static` files and run no inline script (the JSON blocks of the
cashier page are data, which CSP does not treat as script), so their policy allows nothing
else. The `/docs` and `/redoc` pages load Swagger UI and ReDoc from our own files too, but
start them with an inline script (FastAPI writes it) and ReDoc runs a worker from a blob: they
get a policy of their own that allows exactly that, and still nothing from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
# `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with a
# form post, and the sign-in forms refuse posts whose Origin is not our own.
EVERY_RESPONSE = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


class SecurityHeaders:
    """ASGI middleware adding the headers above; a header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(path for path in docs_paths if path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in self.docs_paths else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_RESPONSE.items():
                    headers.setdefault(name, value)
                # Documents, and redirects to them; JSON, files and PDFs are not framed pages.
                if headers.get("content-type", "text/html").startswith("text/html"):
                    headers.setdefault("content-security-policy", policy)
                    headers.setdefault("x-frame-options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)
