"""The part of a simulator's state every platform has: clock, lock, recorded calls, faults,
and the snapshot a state file keeps (see `simkit.persist`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from voucherbridge_sims.simkit.codec import decode, encode

if TYPE_CHECKING:
    from voucherbridge_sims.simkit.persist import StateFile

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


class SimConfig(Protocol):
    """The settings every simulator's config has (each platform adds its own)."""

    target_base_url: str | None  # our service: receives the pushes (None: nowhere to send)
    time_scale: float  # multiplies background waits such as push retries (0.001 in tests)
    fault_timeout_s: float  # how long a "timeout" fault hangs (not scaled)
    state_file: str | None  # where the entities are kept across restarts (None: memory only)


class SimBase:
    """Clock, one re-entrant lock, recorded calls (in and out), faults, latencies and the
    bookkeeping that stops background retries.

    Subclasses keep their entities beside these and reset them after ``super().reset()``.
    `default_biz_code` is what a ``biz_error`` fault answers when the test names none;
    `fault_timeout_s` how long a ``timeout`` fault hangs. `generation` changes on every reset
    and on shutdown: a retry started under another generation ends (see `sleep_schedule`).

    `persisted` names the entity attributes a state file keeps, each with the type of its value
    (what `codec.decode` rebuilds); the recorded calls in and out are kept too. Faults,
    latencies and the clock offset are not: a restarted platform is healthy and on time.
    """

    default_biz_code = 500
    persisted: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.fault_timeout_s = config.fault_timeout_s
        self.clock = SimClock()
        self.lock = threading.RLock()
        self.requests: list[JsonDict] = []
        self.pushes: list[JsonDict] = []
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        self.generation = 0
        self.stopped = False
        self.state_file: StateFile | None = None
        self._seq = 0

    def reset(self) -> None:
        """End the retries of the previous generation; forget recorded calls, faults,
        latencies and the clock offset (``POST /_sim/reset``; the config stays)."""
        with self.lock:
            self.generation += 1
            self.requests = []
            self.pushes = []
            self.faults = []
            self.latencies = []
            self._seq = 0
        self.clock.reset()

    def clear(self) -> None:
        """``POST /_sim/reset``: `reset`, and forget the state file too."""
        if self.state_file is None:
            self.reset()
        else:
            self.state_file.reset()

    def changed(self) -> None:
        """Something worth keeping changed: the state file (if any) follows within a second."""
        if self.state_file is not None:
            self.state_file.changed()

    def snapshot(self) -> JsonDict:
        """The entities and recorded calls as JSON-ready data (a deep copy, taken under the
        lock so that it is one consistent moment)."""
        with self.lock:
            return {
                "seq": self._seq,
                "entities": {name: encode(getattr(self, name)) for name in self.persisted},
                "requests": encode(self.requests),
                "pushes": encode(self.pushes),
            }

    def restore(self, data: JsonDict) -> None:
        """Take the entities and recorded calls of a `snapshot`; an entity the snapshot lacks
        keeps its fresh value. Raises (ValueError, TypeError, KeyError) before changing
        anything when the data does not fit."""
        entities = data["entities"]
        loaded = {
            name: decode(hint, entities[name])
            for name, hint in self.persisted.items()
            if name in entities
        }
        requests = decode(list[JsonDict], data["requests"])
        pushes = decode(list[JsonDict], data["pushes"])
        seq = decode(int, data["seq"])
        with self.lock:
            for name, value in loaded.items():
                setattr(self, name, value)
            self.requests, self.pushes = requests[-MAX_RECORDED:], pushes[-MAX_RECORDED:]
            self._seq = seq
            self.restored()

    def restored(self) -> None:
        """After `restore` (caller holds the lock): what the config must still decide."""

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def record(self, entry: JsonDict) -> None:
        """Keep one inbound call (the last `MAX_RECORDED`)."""
        with self.lock:
            self.requests.append(entry)
            del self.requests[:-MAX_RECORDED]

    def record_push(self, entry: JsonDict, attempts: list[JsonDict] | None = None) -> None:
        """Keep one outbound call (the last `MAX_RECORDED`), and in `attempts` when given."""
        with self.lock:
            if attempts is not None:
                attempts.append(entry)
            self.pushes.append(entry)
            del self.pushes[:-MAX_RECORDED]
        self.changed()

    def shutdown(self) -> None:
        """Stop the background retries when the server stops."""
        with self.lock:
            self.stopped = True
            self.generation += 1
        with self.clock.changed:
            self.clock.changed.notify_all()

    def sleep_schedule(self, delay_s: float, generation: int) -> bool:
        """Wait ``delay_s * time_scale`` real seconds or ``delay_s`` of simulated time.

        False when the simulator was reset or stopped meanwhile (the retry must end).
        """
        real_end = time.monotonic() + delay_s * self.config.time_scale
        sim_end = self.clock.now() + timedelta(seconds=delay_s)
        with self.clock.changed:
            while True:
                if self.generation != generation or self.stopped:
                    return False
                real_left = real_end - time.monotonic()
                if real_left <= 0 or self.clock.now() >= sim_end:
                    return True
                self.clock.changed.wait(timeout=real_left)

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
