"""Load generator, run as its own process: N threads post bodies and time each answer.

Reads a JSON job on stdin:
    {"concurrency": 8, "rounds": 5,
     "targets": [{"name", "url", "headers", "expect", "bodies": [...],
                  "warmup": {"url", "expect", "bodies": [...]}, "concurrency"?}]}
(a target's own "concurrency", if given, replaces the job's).
Each target is warmed up first (not counted). Then each target's bodies are cut into `rounds`
slices and the targets take turns slice by slice, so that a machine getting slower or faster
during the run affects every target alike. Prints one JSON object, per target name:
{"count", "ok", "error_count", "errors", "seconds", "rps", "p50_ms", "p99_ms"}, where "errors"
maps each distinct unexpected answer to how often it came.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections import Counter

import httpx


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def burst(clients: list[httpx.Client], url: str, bodies: list, expect: int) -> tuple:
    """Post every body once, one thread per client; returns (seconds, latencies, errors)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    cursor = iter(bodies)

    def worker(client: httpx.Client) -> None:
        while True:
            with lock:
                body = next(cursor, None)
            if body is None:
                return
            started = time.perf_counter()
            try:
                response = client.post(url, json=body)
                error = None
                if response.status_code != expect:
                    error = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if error is not None:
                    errors[error] += 1

    threads = [threading.Thread(target=worker, args=(client,)) for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def run(job: dict) -> dict:
    targets, rounds = job["targets"], job["rounds"]
    # Clients are built before any clock starts (each one builds an SSL context, ~40 ms).
    clients = {
        t["name"]: [
            httpx.Client(headers=t["headers"], timeout=30)
            for _ in range(t.get("concurrency", job["concurrency"]))
        ]
        for t in targets
    }
    for t in targets:
        warmup = t["warmup"]
        burst(clients[t["name"]], warmup["url"], warmup["bodies"], warmup["expect"])
    seconds = {t["name"]: 0.0 for t in targets}
    latencies: dict[str, list[float]] = {t["name"]: [] for t in targets}
    errors: dict[str, Counter[str]] = {t["name"]: Counter() for t in targets}
    for index in range(rounds):
        for t in targets:
            name, bodies = t["name"], t["bodies"]
            chunk = bodies[index * len(bodies) // rounds : (index + 1) * len(bodies) // rounds]
            spent, times, failed = burst(clients[name], t["url"], chunk, t["expect"])
            seconds[name] += spent
            latencies[name] += times
            errors[name] += failed
    for pool in clients.values():
        for client in pool:
            client.close()
    return {
        t["name"]: summary(seconds[t["name"]], latencies[t["name"]], errors[t["name"]])
        for t in targets
    }


def summary(seconds: float, latencies: list[float], errors: Counter[str]) -> dict:
    ordered = sorted(latencies)
    error_count = sum(errors.values())
    return {
        "count": len(ordered),
        "ok": len(ordered) - error_count,
        "error_count": error_count,
        "errors": dict(errors.most_common()),
        "seconds": seconds,
        "rps": len(ordered) / seconds if seconds else 0.0,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin)), ensure_ascii=False))
