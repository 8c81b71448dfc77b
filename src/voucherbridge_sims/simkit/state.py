"""The part of a simulator's state every platform has: clock, lock, recorded calls, faults."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

JsonDict = dict[str, Any]
MAX_RECORDED = 1000


class SimClock:
    """Real UTC now plus an offset that /_sim/clock sets; waiters are woken on every change."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self.changed = threading.Condition()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def now_s(self) -> int:
        return int(self.now().timestamp())

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def set(self, when: datetime) -> None:
        with self.changed:
            self._offset = when - datetime.now(UTC)
            self.changed.notify_all()

    def advance(self, seconds: float) -> None:
        with self.changed:
            self._offset += timedelta(seconds=seconds)
            self.changed.notify_all()

    def reset(self) -> None:
        with self.changed:
            self._offset = timedelta(0)
            self.changed.notify_all()


@dataclass
class Fault:
    path: str
    kind: str
    count: int | None
    biz_code: int
    timeout_s: float
    skip: int = 0  # let this many matching calls through first ("the second cancel fails")


@dataclass
class Latency:
    path: str
    ms: int
    count: int | None


def path_matches(pattern: str, path: str) -> bool:
    """``*`` matches all, ``/a/*`` a prefix, otherwise equal up to a trailing slash."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return pattern.rstrip("/") == path.rstrip("/")


class SimBase:
    """Clock, one re-entrant lock, recorded calls, faults and latencies.

    Subclasses keep their entities beside these and call `reset_common` from their reset.
    `default_biz_code` is what a ``biz_error`` fault answers when the test names none;
    `fault_timeout_s` how long a ``timeout`` fault hangs.
    """

    default_biz_code = 500
    fault_timeout_s = 30.0

    def __init__(self) -> None:
        self.clock = SimClock()
        self.lock = threading.RLock()
        self.requests: list[JsonDict] = []
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        self._seq = 0

    def reset_common(self) -> None:
        with self.lock:
            self.requests = []
            self.faults = []
            self.latencies = []
            self._seq = 0
        self.clock.reset()

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def record(self, entry: JsonDict) -> None:
        with self.lock:
            self.requests.append(entry)
            del self.requests[:-MAX_RECORDED]

    def shutdown(self) -> None:
        """Stop the simulator's background work when its server stops (none by default)."""

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path_matches(fault.path, path) and (fault.count is None or fault.count > 0):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    if fault.count is not None:
                        fault.count -= 1
                    return fault
        return None

    def take_latency(self, path: str) -> int:
        with self.lock:
            for latency in self.latencies:
                if path_matches(latency.path, path) and (
                    latency.count is None or latency.count > 0
                ):
                    if latency.count is not None:
                        latency.count -= 1
                    return latency.ms
        return 0
