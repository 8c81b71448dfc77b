"""A server-sent-events reader for the tests: a thread that keeps the events of one stream."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from voucherbridge.core.csrf import CASHIER_COOKIE


class EventReader:
    """``GET {base_url}/cashier/live`` with the cashier cookie; `events` fills as they come."""

    def __init__(self, base_url: str, terminal_key: str) -> None:
        self.events: list[tuple[str, dict[str, Any], float]] = []  # (event, data, when)
        self.comments = 0
        self.status: int | None = None
        self._client = httpx.Client(
            base_url=base_url, cookies={CASHIER_COOKIE: terminal_key}, timeout=None
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self.connected = threading.Event()

    def __enter__(self) -> EventReader:
        self._thread.start()
        assert self.connected.wait(60), "the stream did not open"
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _read(self) -> None:
        kind, data = "message", ""
        try:
            with self._client.stream("GET", "/cashier/live") as response:
                self.status = response.status_code
                self.connected.set()
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments += 1
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and data:
                        self.events.append((kind, json.loads(data), time.monotonic()))
                        kind, data = "message", ""
        except httpx.HTTPError:
            self.connected.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data, _ in self.events if k == kind]
