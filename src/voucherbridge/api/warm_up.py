"""Route state built at start-up, not by the first scan after it.

FastAPI builds the included routers' match lists and each route's dependency analysis when the
first request walks them: 0.2-0.6 s (measured on the first prepare after a start: 236 ms, then
7 ms), paid by the first till to scan. One request that matches no route walks every router and
builds it all before the service takes traffic.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from starlette.types import Message, Scope

_PATH = "/.start-up/no-such-route"


def build_route_state(app: FastAPI) -> None:
    """Walk every router of `app` once (a request that matches none; nothing is logged or
    counted: it goes to the router, not through the middleware)."""
    # uvicorn builds the app from inside its event loop: the walk runs on a loop of its own.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="route-state") as walker:
        walker.submit(asyncio.run, _request_nothing(app)).result()


async def _request_nothing(app: FastAPI) -> None:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": _PATH,
        "raw_path": _PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    answers: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answers.append(int(message["status"]))

    await app.router(scope, receive, send)
    if answers != [404]:
        raise RuntimeError(f"the start-up walk of the routes was answered {answers}")
