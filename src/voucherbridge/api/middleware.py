"""ASGI middleware: refuse oversized bodies before they are read into memory."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucherbridge.domain.errors import ErrorCode
from voucherbridge.i18n.catalogue import pick_language, render


class BodySizeLimit:
    """413 with a catalogue-shaped body when Content-Length or the streamed body is too big."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(headers, send)
            return
        seen, too_large, started = 0, False, False

        async def limited() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            # FastAPI turns any error while reading the body into its own 400; a streamed
            # (chunked) body that grew too big must still be the 413 below.
            if too_large and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except _TooLarge:
            pass
        if too_large and not started:
            await self._refuse(headers, send)

    async def _refuse(self, headers: dict[bytes, bytes], send: Send) -> None:
        lang = pick_language(headers.get(b"accept-language", b"").decode("latin-1"))
        code = ErrorCode.PAYLOAD_TOO_LARGE
        body = orjson.dumps(
            {
                "error": {
                    "code": code.value,
                    "message": render(code, {}, lang),
                    "details": {"max_bytes": self.max_bytes},
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
