"""ASGI middleware of the simulators: records calls, injects latency and faults.

Applies to every path outside ``/_sim/`` and the simulator's own page (`PAGE_PATHS`), which
stay up when the platform is "down". After every call, and every ``/_sim/`` call that is not a
GET, the state file (if any) is told that something changed. Fault kinds:
``http_503`` answer 503 without touching state; ``biz_error`` the platform's own business-error
answer with ``biz_code`` (each platform says how it looks); ``timeout`` hang ``timeout_s`` (default
``fault_timeout_s``) then 504, state untouched; ``reset`` send headers and half a body, then drop
the connection; ``after_commit_503`` run the call (state changes) then answer 503;
``after_commit_timeout`` run the call, then hang before answering.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucherbridge_sims.simkit.state import Fault, JsonDict, SimBase

BizErrorAnswer = Callable[[Fault], tuple[int, JsonDict]]

PAGE_PATHS = frozenset({"/", "/favicon.ico"})
FAULT_KINDS = (
    "http_503",
    "timeout",
    "reset",
    "biz_error",
    "after_commit_503",
    "after_commit_timeout",
)


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")[:2000]


class SimMiddleware:
    """Pure ASGI so that faults can drop connections and run the app before answering."""

    def __init__(self, app: ASGIApp, sim: SimBase, biz_error: BizErrorAnswer) -> None:
        self.app = app
        self.sim = sim
        self.biz_error = biz_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PAGE_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/_sim/"):
            try:
                await self.app(scope, receive, send)
            finally:
                if scope["method"] not in ("GET", "HEAD"):
                    self.sim.changed()
            return
        try:
            await self._platform_call(scope, receive, send)
        finally:
            self.sim.changed()

    async def _platform_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        delay_ms = self.sim.take_latency(path)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        fault = self.sim.take_fault(path)
        entry = self._record(scope, body, fault)
        if fault is not None and fault.kind in ("http_503", "timeout", "reset", "biz_error"):
            await self._fail_before(fault, entry, send)
            return
        status, headers, payload = await self._run(scope, body, receive)
        self.sim.changed()  # before an after_commit_timeout hangs
        if fault is not None and fault.kind == "after_commit_503":
            await self._answer(send, entry, 503, {"message": "service unavailable (simulated)"})
            return
        if fault is not None and fault.kind == "after_commit_timeout":
            await asyncio.sleep(fault.timeout_s)
        entry["response"] = {"status": status, "body": _parse(payload)}
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _record(self, scope: Scope, body: bytes, fault: Fault | None) -> JsonDict:
        query: dict[str, Any] = {}
        for key, value in parse_qsl(scope.get("query_string", b"").decode(), True):
            if key in query:
                existing = query[key]
                query[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                query[key] = value
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        entry: JsonDict = {
            "seq": self.sim.next_seq(),
            "at": self.sim.clock.now().isoformat(),
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "headers": headers,
            "body": _parse(body),
            "raw_body": body.decode("utf-8", "replace"),
            "fault": fault.kind if fault else None,
            "response": None,
        }
        self.sim.record(entry)
        return entry

    async def _run(self, scope: Scope, body: bytes, receive: Receive) -> tuple[int, Any, bytes]:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        payload = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
        return int(start.get("status", 500)), headers, payload

    async def _answer(self, send: Send, entry: JsonDict, status: int, body: JsonDict) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        entry["response"] = {"status": status, "body": body}
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _fail_before(self, fault: Fault, entry: JsonDict, send: Send) -> None:
        if fault.kind == "http_503":
            await self._answer(send, entry, 503, {"message": "service unavailable (simulated)"})
        elif fault.kind == "biz_error":
            status, answer = self.biz_error(fault)
            await self._answer(send, entry, status, answer)
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.timeout_s)
            await self._answer(send, entry, 504, {"message": "gateway timeout (simulated)"})
        else:  # reset: promise a body, send half, return → the server drops the connection
            entry["response"] = {"status": None, "body": "connection reset (simulated)"}
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
